// End-to-end: a real browser (Debian's Chromium) against a real hodeid.
//   HODEI_BIN=/path/to/hodeid node --test --test-concurrency=1 e2e/dashboard.test.mjs
// or, against something already running (e.g. npm run dev):
//   HODEI_E2E_BASE_URL=http://localhost:5173 node --test e2e/dashboard.test.mjs
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ARTIFACTS, Hodeid, launchBrowser, screenshot, until } from "./harness.mjs";

const WEB_DIST = path.resolve("dist");
const TIMEOUT = 60_000; // a bound on a hang, not a speed check (a loaded 2-core machine)

let server = null;
let baseUrl = process.env.HODEI_E2E_BASE_URL ?? "";
let browser;
let page;
const figures = {};

async function goto(route) {
  await page.goto(`${baseUrl}/#${route}`);
}

/** Fills the + New Job form and returns the new job's id (from the URL). */
async function scheduleJob({ name, command, args = [], env = [], priority, timeout }) {
  await goto("/jobs");
  await page.getByRole("link", { name: "+ New Job" }).click();
  await page.getByLabel("Job Name").fill(name);
  await page.getByLabel("Command").fill(command);
  if (args.length) await page.getByLabel("Arguments").fill(args.join("\n"));
  if (env.length) await page.getByLabel("Environment").fill(env.join("\n"));
  if (priority) await page.getByLabel("Priority").selectOption({ label: priority });
  if (timeout) await page.getByLabel("Timeout (seconds)").fill(String(timeout));
  await page.getByRole("button", { name: "Schedule Job" }).click();
  await page.waitForURL(/#\/jobs\/(?!new)[^/]+$/, { timeout: TIMEOUT, waitUntil: "commit" });
  await page.getByTestId("job-detail").waitFor({ timeout: TIMEOUT });
  return decodeURIComponent(page.url().split("/jobs/")[1]);
}

async function waitForState(label) {
  await page.getByTestId("job-detail").getByTestId("job-state").first().filter({ hasText: label }).waitFor({ timeout: TIMEOUT });
}

/** it(), plus a screenshot of the page when the test fails. */
function check(name, fn) {
  it(name, async (t) => {
    try {
      await fn(t);
    } catch (err) {
      await screenshot(page, `FAILED-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`).catch(() => {});
      throw err;
    }
  });
}

before(async () => {
  if (!baseUrl) {
    const bin = process.env.HODEI_BIN;
    assert.ok(bin, "set HODEI_BIN to the hodeid binary (or HODEI_E2E_BASE_URL)");
    server = new Hodeid(path.resolve(bin), WEB_DIST);
    await server.start();
    baseUrl = server.baseUrl;
  }
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(TIMEOUT);
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, "e2e-figures.json"), JSON.stringify(figures, null, 2));
});

describe("dashboard against a real hodeid", () => {
  check("shows the dashboard with stat cards, system health and recent executions", async () => {
    await goto("/");
    await page.getByTestId("stat-total").waitFor();
    for (const id of ["stat-total", "stat-running", "stat-failed", "stat-success", "cpu-load", "uptime"]) {
      assert.ok(await page.getByTestId(id).isVisible(), id);
    }
    await page.getByRole("heading", { name: "Recent Executions" }).waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Jobs/ }).waitFor();
    await screenshot(page, "01-dashboard-empty");
  });

  check("refuses a job without a command, with the server's message", async () => {
    await goto("/jobs/new");
    await page.getByLabel("Job Name").fill("no command");
    await page.getByRole("button", { name: "Schedule Job" }).click();
    const alert = page.getByRole("alert").first();
    await alert.waitFor();
    assert.match(await alert.innerText(), /command/i);
    // The message sits under the field it names.
    assert.match(await alert.evaluate((el) => el.closest(".field")?.querySelector("label")?.textContent), /^Command\b/);
    // in the form's words, not the API's field path
    assert.doesNotMatch(await alert.innerText(), /job_definition/);
    await screenshot(page, "02-new-job-validation");
  });

  check("schedules a job from the form and watches it run and log", async () => {
    const id = await scheduleJob({
      name: "e2e hello",
      command: "sh",
      args: ["-c", "echo hello from $GREETING; echo WARN careful; echo ERROR oops >&2; echo DEBUG details; echo ::progress::50; sleep 3; echo done"],
      env: ["GREETING=e2e"],
      priority: "High",
      timeout: 60,
    });
    assert.ok(id.length > 0);
    const logs = page.getByTestId("log-lines");
    await logs.getByText("hello from e2e").waitFor();
    // Progress arrives live (WatchJobs) while the job sleeps.
    await page.locator('[role="progressbar"][aria-valuenow="50"]').waitFor();
    await waitForState("Success");
    await logs.getByText("done", { exact: true }).waitFor();
    const levels = await page.locator(".log-line").evaluateAll((els) =>
      Object.fromEntries(els.map((e) => [e.querySelector(".log-line__text").textContent, [e.dataset.level, getComputedStyle(e).color]])),
    );
    // the level is shown once, by its badge ("WARN careful" -> WARN | careful)
    assert.equal(levels["careful"][0], "WARN");
    assert.equal(levels["oops"][0], "ERROR");
    assert.notEqual(levels["careful"][1], levels["oops"][1]);
    assert.equal(levels["hello from e2e"][1], "rgb(255, 255, 255)");
    // ::progress:: lines feed the progress bar, not the log
    assert.ok(!Object.keys(levels).some((t) => t.includes("::progress::")), Object.keys(levels).join(" | "));
    await screenshot(page, "03-job-succeeded-with-logs");

    // Filters of the log viewer: minimum level and text.
    await page.getByLabel("Minimum log level").selectOption({ label: "WARN+" });
    await until(async () => (await page.locator(".log-line").count()) === 2, { what: "WARN+ filter" });
    await page.getByLabel("Filter logs by text").fill("oops");
    await until(async () => (await page.locator(".log-line").count()) === 1, { what: "text filter" });
    await page.getByLabel("Filter logs by text").fill("");
    await page.getByLabel("Minimum log level").selectOption({ label: "All levels" });

    // Download gives the whole log as a file.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download" }).click()]);
    const file = path.join(ARTIFACTS, `${id}.log`);
    await download.saveAs(file);
    assert.match(readFileSync(file, "utf8"), /hello from e2e[\s\S]*done/);

    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByText("View cleared").waitFor();
  });

  check("cancels a running job after confirmation", async () => {
    await scheduleJob({ name: "e2e sleeper", command: "sleep", args: ["60"] });
    await waitForState("Running");
    await page.getByRole("button", { name: "Cancel Job" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Keep it" }).click();
    await waitForState("Running");
    await page.getByRole("button", { name: "Cancel Job" }).click();
    await screenshot(page, "04-cancel-confirmation");
    await page.getByRole("button", { name: "Yes, cancel job" }).click();
    await waitForState("Cancelled");
    await screenshot(page, "05-job-cancelled");
  });

  check("opens a failed job and retries it", async () => {
    await scheduleJob({ name: "e2e failing", command: "sh", args: ["-c", "echo ERROR it broke; exit 3"] });
    await waitForState("Failed");
    await screenshot(page, "06-job-failed");
    await page.getByRole("button", { name: "Retry" }).click();
    await page.getByText("attempt 2").first().waitFor();
    await waitForState("Failed");
  });

  check("filters and searches the job list", async () => {
    await goto("/jobs");
    await page.getByTestId("job-row").first().waitFor();
    await page.getByRole("button", { name: "Failed" }).click();
    await until(async () => {
      const names = await page.getByTestId("job-row").allInnerTexts();
      return names.length > 0 && names.every((t) => /Failed|Timed out/.test(t));
    }, { what: "only failed jobs" });
    await page.getByRole("button", { name: "Completed" }).click();
    await until(async () => {
      const rows = await page.getByTestId("job-row").allInnerTexts();
      return rows.length > 0 && rows.every((t) => /Success/.test(t)) && rows.some((t) => t.includes("e2e hello"));
    }, { what: "only completed jobs" });
    await page.getByRole("button", { name: "All Jobs" }).click();
    await page.getByLabel("Search jobs by name or ID").fill("sleeper");
    await until(async () => {
      const rows = await page.getByTestId("job-row").allInnerTexts();
      return rows.length === 1 && rows[0].includes("e2e sleeper");
    }, { what: "search by name" });
    await screenshot(page, "07-jobs-search");
    await page.getByLabel("Search jobs by name or ID").fill("");
    await page.getByTestId("job-row").nth(2).waitFor();
    await screenshot(page, "08-jobs-all");
  });

  check("adds a provider and puts it in maintenance", async () => {
    await goto("/providers");
    await page.getByRole("link", { name: "+ Add Provider" }).click();
    // Types hodeid does not register are offered disabled (CreateProvider would refuse them).
    assert.ok(await page.getByRole("option", { name: /^Azure VM.*not available in this build/ }).isDisabled());
    assert.ok(await page.getByRole("option", { name: /^Kubernetes/ }).isEnabled());
    assert.ok(await page.getByRole("option", { name: "Docker" }).isEnabled());
    // A static pool: a type every hodeid has, with no outside service needed.
    await page.getByLabel("Type").selectOption("pool");
    await page.getByLabel("Name").fill("e2e-pool");
    await page.getByLabel("Endpoint URL").fill("https://pool.e2e.invalid");
    await page.getByLabel("API Token").fill("super-secret-token");
    await page.getByLabel("Labels").fill("zone=e2e\ntier=test");
    await page.getByLabel("Max Memory (GiB)").fill("4");
    await page.getByLabel("Max vCPUs").fill("2");
    await page.getByLabel("GPU Support").check();
    await page.getByRole("button", { name: "Create Provider" }).click();
    await page.getByTestId("provider-detail").waitFor();
    const raw = await page.getByTestId("raw-config").innerText();
    assert.ok(!raw.includes("super-secret-token"), "the token is never shown");
    await page.getByRole("button", { name: "Maintenance" }).click();
    await page.getByTestId("provider-detail").getByTestId("provider-status").first().filter({ hasText: "Maintenance" }).waitFor();
    await screenshot(page, "09-provider-maintenance");
    await goto("/providers");
    await page.locator('[data-provider="e2e-pool"]').waitFor();
    await screenshot(page, "10-providers");
  });

  check("renders the charts of every metrics range", async () => {
    await goto("/metrics");
    for (const range of ["1H", "24H", "7D", "30D"]) {
      await page.getByRole("group", { name: "Time range" }).getByRole("button", { name: range, exact: true }).click();
      await page.locator(`[data-range="${range.toLowerCase()}"]`).waitFor();
      await page.getByTestId("chart-trend").locator(".recharts-line").first().waitFor();
      await page.getByTestId("chart-distribution").locator(".recharts-pie").first().waitFor();
      await page.getByTestId("kpi-success").waitFor();
      await screenshot(page, `11-metrics-${range.toLowerCase()}`);
    }
  });

  check("shows live log lines within milliseconds of the job printing them", async () => {
    const lines = 300;
    await scheduleJob({
      name: "e2e latency",
      command: "sh",
      args: ["-c", `sleep 1; i=0; while [ $i -lt ${lines} ]; do echo "tick $(date +%s%3N)"; i=$((i+1)); sleep 0.02; done`],
    });
    // Record, for every line that appears, the time from the job printing it
    // (the ms in its text) to the next animation frame after it was added.
    await page.evaluate(() => {
      const samples = (window.__latency = []);
      const armed = Date.now();
      new MutationObserver((mutations) => {
        const seen = [];
        for (const m of mutations) for (const n of m.addedNodes) {
          const match = n instanceof HTMLElement && /tick (\d+)/.exec(n.textContent ?? "");
          if (match && Number(match[1]) >= armed) seen.push(Number(match[1]));
        }
        if (seen.length) requestAnimationFrame(() => { const now = Date.now(); for (const t of seen) samples.push(now - t); });
      }).observe(document.querySelector('[data-testid="log-viewer"]') ?? document.body, { childList: true, subtree: true });
    });
    await waitForState("Success");
    const samples = await page.evaluate(() => window.__latency.slice().sort((a, b) => a - b));
    assert.ok(samples.length >= lines * 0.8, `only ${samples.length} of ${lines} lines observed live`);
    const pick = (q) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)];
    figures.logLatencyMs = { samples: samples.length, p50: pick(0.5), p90: pick(0.9), p99: pick(0.99), max: samples.at(-1) };
    console.log("log line visible latency (ms):", JSON.stringify(figures.logLatencyMs));
  });

  check("keeps 100,000 log lines smooth (virtualised) and filterable", async () => {
    await scheduleJob({ name: "e2e 100k lines", command: "seq", args: ["1", "100000"] });
    await waitForState("Success");
    await page.getByTestId("log-status").getByText("100,000 received").waitFor({ timeout: 60_000 });
    const domLines = await page.locator(".log-line").count();
    assert.ok(domLines > 0 && domLines < 200, `${domLines} line elements in the DOM`);
    const scroll = await page.evaluate(async () => {
      const el = document.querySelector('[data-testid="log-lines"]');
      const frames = [];
      let last = performance.now();
      for (let i = 0; i < 90; i++) {
        el.dispatchEvent(new WheelEvent("wheel", { bubbles: true, deltaY: -100 }));
        el.scrollTop = (el.scrollHeight * i) / 90;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        frames.push(now - last);
        last = now;
      }
      frames.sort((a, b) => a - b);
      return { frames: frames.length, medianMs: frames[45], worstMs: frames.at(-1) };
    });
    figures.scroll100k = scroll;
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="log-lines"]');
      el.dispatchEvent(new WheelEvent("wheel", { bubbles: true, deltaY: -100 }));
      el.scrollTop = 0;
    });
    await page.locator('.log-line[data-seq="1"]').waitFor();
    const started = Date.now();
    await page.getByLabel("Filter logs by text").fill("99999");
    await page.getByTestId("log-status").getByText(/^1 shown/).waitFor();
    figures.filter100kMs = Date.now() - started;
    await screenshot(page, "13-logs-100k-filtered");
    console.log("100k lines:", JSON.stringify({ scroll, filterMs: figures.filter100kMs }));
  });

  check("lists jobs that carry megabytes and downloads a 5 MB log whole", async (t) => {
    if (!server) return t.skip("needs a hodeid started by the test");
    // Queued with the CLI built beside hodeid: three jobs of 1.5 MB of
    // arguments (a page of 25 was once over 4 MiB) and 1,000 lines of 5,000.
    const cli = path.resolve(path.dirname(server.binary), "../hodei-jobs-cli/hodei-jobs-cli");
    const run = (args) => execFileSync(cli, ["--server", `127.0.0.1:${server.grpcPort}`, ...args], { env: { ...process.env, HODEI_API_TOKEN: "" } });
    const big = Array.from({ length: 25 }, (_, i) => ["--arg", String(i % 10).repeat(60_000)]).flat();
    for (const id of ["e2e-big-1", "e2e-big-2", "e2e-big-3"]) run(["jobs", "queue", "--id", id, "--name", "e2e big", "--command", "true", ...big]);
    const script = "i=0; while [ $i -lt 1000 ]; do printf '%05d%04995d\\n' $i 0; i=$((i+1)); done";
    run(["jobs", "queue", "--id", "e2e-chatty", "--shell", "--command", script, "--wait"]);
    await goto("/jobs");
    for (const id of ["e2e-big-1", "e2e-big-2", "e2e-big-3", "e2e-chatty"]) await page.getByTestId("job-row").filter({ hasText: id }).waitFor();
    await goto("/jobs/e2e-chatty");
    await page.getByTestId("job-detail").waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download" }).click()]);
    const file = path.join(ARTIFACTS, "e2e-chatty.log");
    await download.saveAs(file);
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 1000);
    lines.forEach((l, i) => assert.ok(l.endsWith(` ${String(i).padStart(5, "0")}${"0".repeat(4995)}`), `line ${i}`));
  });

  check("shows a banner while the server is down and recovers by itself", async (t) => {
    if (!server) return t.skip("needs a hodeid started by the test");
    await goto("/");
    await page.getByTestId("stat-total").waitFor();
    // The other pages' code is fetched in the background after start-up.
    await until(() => page.evaluate(() => performance.getEntriesByType("resource").some((e) => /providers-page-[^/]*\.js$/.test(e.name))),
      { what: "pages prefetched" });
    await server.stop();
    await page.getByTestId("offline-banner").waitFor({ timeout: 30_000 });
    await screenshot(page, "14-server-down-banner");
    // Pages still open (their code was prefetched) and say what they wait for.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Providers/ }).click();
    await page.getByRole("heading", { name: "Providers" }).waitFor();
    await server.start();
    await page.locator('[data-provider="local"]').waitFor({ timeout: 30_000 });
    await page.getByTestId("offline-banner").waitFor({ state: "detached", timeout: 30_000 });
  });

  check("fits a phone screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [route, name] of [["/", "dashboard"], ["/jobs", "jobs"], ["/metrics", "metrics"], ["/providers", "providers"]]) {
      await goto(route);
      await page.getByRole("navigation", { name: "Main" }).waitFor();
      // Loaded: no loading indicator left on the page.
      await page.locator("main h1").first().waitFor();
      await until(async () => (await page.locator("main .state--loading").count()) === 0, { what: `${route} to load` });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${route} is wider than the phone by ${overflow}px`);
      await screenshot(page, `12-phone-${name}`);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  check("every page: no serious accessibility violations, nothing under the navigation, light and dark", async () => {
    const axe = readFileSync(new URL("../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
    const pages = [["/", "dashboard"], ["/jobs", "jobs"], ["/jobs/new", "new-job"], ["/metrics", "metrics"], ["/providers", "providers"], ["/providers/local", "provider"]];
    const serious = [];
    for (const [width, height, size] of [[1280, 860, "desktop"], [390, 844, "phone"]]) {
      await page.setViewportSize({ width, height });
      for (const scheme of ["dark", "light"]) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const [route, name] of pages) {
          await goto(route);
          await page.locator("main h1").first().waitFor();
          await until(async () => (await page.locator("main .state--loading").count()) === 0, { what: `${route} to load` });
          if (scheme === "dark" || size === "desktop") {
            // evaluated through the debugger protocol: the page's CSP (script-src
            // 'self') rightly refuses an injected <script>
            await page.evaluate(axe);
            const found = await page.evaluate(async () => {
              const r = await window.axe.run(document, { resultTypes: ["violations"] });
              return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
            });
            serious.push(...found.map((f) => `${size} ${scheme} ${route}: ${f}`));
          }
          // the navigation never covers the page: beside it on a desktop,
          // below its end (the page scrolled to the bottom) on a phone
          const overlap = await page.evaluate(() => {
            window.scrollTo(0, document.documentElement.scrollHeight);
            const nav = document.querySelector("nav[aria-label=Main]").getBoundingClientRect();
            let worst = 0;
            let what = "";
            for (const el of document.querySelectorAll("main *")) {
              // what is drawn: not a select's options, not the inside of a closed <details>
              if (el.closest("select") !== null && el.tagName !== "SELECT") continue;
              if (!el.checkVisibility({ visibilityProperty: true })) continue;
              const r = el.getBoundingClientRect();
              if (r.width === 0 || r.height === 0) continue;
              const x = Math.min(r.right, nav.right) - Math.max(r.left, nav.left);
              const y = Math.min(r.bottom, nav.bottom) - Math.max(r.top, nav.top);
              if (x > 1 && y > 1 && Math.min(x, y) > worst) {
                worst = Math.min(x, y);
                what = `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? "").slice(0, 40)}"`;
              }
            }
            return worst ? `${worst}px (${what})` : 0;
          });
          assert.equal(overlap, 0, `${size} ${route}: the navigation covers ${overlap} of the page`);
          await screenshot(page, `15-${size}-${scheme}-${name}`);
        }
      }
    }
    await page.emulateMedia({ colorScheme: "dark" });
    await page.setViewportSize({ width: 1280, height: 860 });
    assert.deepEqual(serious, [], `axe-core found serious violations:\n${serious.join("\n")}`);
  });
});
