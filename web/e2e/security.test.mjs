// End-to-end attacks from a browser (SECURITY.md), each shown refused, and the
// sign-in a token-protected hodeid asks for.
//   HODEI_BIN=/path/to/hodeid node --test e2e/security.test.mjs
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort, Hodeid, launchBrowser } from "./harness.mjs";

const WEB_DIST = path.resolve("dist");
const TOKEN = "e2e-api-token-0123456789";
const TIMEOUT = 20_000;

/** A QueueJobRequest for `sh -c 'echo pwned'` with a fixed id, as gRPC-Web bytes. */
function queueJobFrame(jobId) {
  const str = (field, s) => { const b = Buffer.from(s); return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]); };
  const id = str(1, jobId);
  const def = Buffer.concat([Buffer.from([0x0a, id.length]), id, str(2, "evil"), str(3, "sh"), str(4, "-c"), str(4, "echo pwned")]);
  const req = Buffer.concat([Buffer.from([0x0a, def.length]), def]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(req.length, 1);
  return Buffer.concat([prefix, req]);
}

/** GetJob for `jobId` with the bearer token: the grpc-status of the answer. */
async function getJobStatus(baseUrl, jobId) {
  const id = Buffer.from(jobId);
  const msg = Buffer.concat([Buffer.from([0x0a, id.length]), id]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(msg.length, 1);
  const res = await fetch(`${baseUrl}/hodei.JobExecutionService/GetJob`, {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", authorization: `Bearer ${TOKEN}` },
    body: Buffer.concat([prefix, msg]),
  });
  const text = Buffer.from(await res.arrayBuffer()).toString("latin1");
  return Number(/grpc-status: (\d+)/.exec(text)?.[1]);
}

/** The attacker's site: a page that tries every way a page has to call hodeid. */
function attackerPage(target) {
  const frame = JSON.stringify([...queueJobFrame("from-evil-page")]);
  return `<!doctype html><html><body><form id="f" method="POST" enctype="text/plain"
    action="${target}/hodei.JobExecutionService/QueueJob"><input name="x" value="y"></form>
  <script>
  window.results = {};
  const body = new Uint8Array(${frame});
  const url = "${target}/hodei.JobExecutionService/QueueJob";
  window.attack = async () => {
    try {
      const r = await fetch(url, { method: "POST", body, credentials: "include",
        headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", "x-hodei-csrf": "1" } });
      window.results.cors = "answered " + r.status;
    } catch (e) { window.results.cors = "blocked"; }
    try {
      await fetch(url, { method: "POST", body, mode: "no-cors", credentials: "include",
        headers: { "content-type": "text/plain" } });
      window.results.simple = "sent";
    } catch (e) { window.results.simple = "blocked"; }
    return window.results;
  };
  </script></body></html>`;
}

let server;
let browser;
let attacker;
let attackerUrl;

before(async () => {
  const bin = process.env.HODEI_BIN;
  assert.ok(bin, "set HODEI_BIN to the hodeid binary");
  process.env.HODEI_API_TOKEN = TOKEN; // the harness passes its environment on
  server = new Hodeid(path.resolve(bin), WEB_DIST);
  await server.start();
  delete process.env.HODEI_API_TOKEN;
  const port = await freePort();
  attacker = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(attackerPage(server.baseUrl));
  });
  await new Promise((resolve) => attacker.listen(port, "127.0.0.1", resolve));
  attackerUrl = `http://localhost:${port}/`; // another origin than hodeid's
  browser = await launchBrowser(["--host-resolver-rules=MAP rebound.test 127.0.0.1"]);
});

after(async () => {
  await browser?.close();
  attacker?.close();
  await server?.cleanup();
});

describe("a web page against hodeid", () => {
  it("signs in with the token once, keeps only an HttpOnly session, and signs out", async () => {
    const page = await browser.context.newPage();
    const violations = [];
    page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
    page.on("pageerror", (e) => violations.push(String(e)));
    await page.goto(`${server.baseUrl}/`);
    await page.getByTestId("login-form").waitFor({ timeout: TIMEOUT });
    await page.getByLabel("API token").fill("wrong-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("hodeid did not accept this token.").waitFor({ timeout: TIMEOUT });
    await page.getByLabel("API token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("stat-total").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.evaluate(() => document.cookie), "", "the session cookie is HttpOnly");
    const cookies = await browser.context.cookies(server.baseUrl);
    const session = cookies.find((c) => c.name === "hodei_session");
    assert.ok(session && session.httpOnly && session.sameSite === "Strict", JSON.stringify(cookies));
    // A reload keeps the session; the token was never stored.
    await page.reload();
    await page.getByTestId("stat-total").waitFor({ timeout: TIMEOUT });
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!stored.includes(TOKEN), stored);
    assert.deepEqual(violations, [], "the dashboard runs under its CSP");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByTestId("login-form").waitFor({ timeout: TIMEOUT });
    await page.close();
  });

  it("refuses a page on another origin, even with the user signed in", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.baseUrl}/`);
    await page.getByLabel("API token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("stat-total").waitFor({ timeout: TIMEOUT });
    const evil = await browser.context.newPage();
    await evil.goto(attackerUrl);
    const results = await evil.evaluate(() => window.attack());
    assert.equal(results.cors, "blocked", JSON.stringify(results));
    // The form post is a navigation: its answer is hodeid's refusal.
    const [response] = await Promise.all([
      evil.waitForEvent("response", { predicate: (r) => r.url().includes("QueueJob") }),
      evil.evaluate(() => document.getElementById("f").submit()),
    ]);
    assert.equal(response.status(), 403);
    assert.equal(await getJobStatus(server.baseUrl, "from-evil-page"), 5, "no job was queued (NOT_FOUND)");
    assert.match(server.output, /cross-origin request refused/);
    await evil.close();
    await page.close();
  });

  it("refuses a rebound host name that resolves to 127.0.0.1", async () => {
    const page = await browser.context.newPage();
    const res = await page.goto(`http://rebound.test:${server.httpPort}/`);
    assert.equal(res.status(), 421);
    const answer = await page.evaluate(async (frame) => {
      const r = await fetch("/hodei.JobExecutionService/QueueJob", {
        method: "POST", body: new Uint8Array(frame),
        headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", authorization: "Bearer guess" },
      });
      return r.status;
    }, [...queueJobFrame("from-rebound-page")]);
    assert.equal(answer, 421);
    assert.equal(await getJobStatus(server.baseUrl, "from-rebound-page"), 5);
    await page.close();
  });
});
