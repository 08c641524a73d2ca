// Starts what the end-to-end tests drive: a real hodeid (or a base URL given
// in HODEI_E2E_BASE_URL) and Debian's Chromium through playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

export const ARTIFACTS = path.resolve(process.env.HODEI_E2E_ARTIFACTS ?? "test-results");
export const SCREENSHOTS = path.join(ARTIFACTS, "screenshots");

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns truthy, at most `tries` times `everyMs` apart. */
export async function until(check, { tries = 200, everyMs = 50, what = "condition" } = {}) {
  for (let i = 0; i < tries; i++) {
    const value = await check().catch(() => false);
    if (value) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A hodeid process with its own data directory and ports, serving the built
 * dashboard (web/dist).  restart() stops it and starts it again on the same
 * ports and data, for the "server went away" test.
 */
export class Hodeid {
  /** tls: { cert, key, ca } files: serve https, trusting ca for readiness. */
  constructor(binary, webDir, { tls } = {}) {
    this.binary = binary;
    this.webDir = webDir;
    this.tls = tls;
    this.dataDir = mkdtempSync(path.join(os.tmpdir(), "hodei-e2e-"));
    this.proc = null;
    this.output = "";
  }

  async start() {
    this.grpcPort ??= await freePort();
    this.httpPort ??= await freePort();
    const env = { ...process.env, HODEI_LOCAL_WORKERS: process.env.HODEI_LOCAL_WORKERS ?? "4" };
    const args = [
      "--data-dir", this.dataDir,
      "--grpc-listen", `127.0.0.1:${this.grpcPort}`,
      "--http-listen", `127.0.0.1:${this.httpPort}`,
      "--web-dir", this.webDir,
    ];
    if (this.tls) args.push("--tls-cert", this.tls.cert, "--tls-key", this.tls.key);
    this.proc = spawn(this.binary, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const collect = (chunk) => { this.output += chunk.toString(); };
    this.proc.stdout.on("data", collect);
    this.proc.stderr.on("data", collect);
    const exited = new Promise((resolve) => this.proc.once("exit", (code) => resolve(code)));
    this.exited = exited;
    await until(async () => {
      if (this.proc.exitCode !== null) throw new Error(`hodeid exited: ${this.output}`);
      if (!this.tls) {
        const res = await fetch(`${this.baseUrl}/`);
        return res.ok;
      }
      const ca = readFileSync(this.tls.ca);
      return new Promise((resolve, reject) => {
        https.get(`${this.baseUrl}/`, { ca }, (res) => { res.resume(); resolve(res.statusCode === 200); })
          .on("error", reject);
      });
    }, { tries: 300, everyMs: 50, what: "hodeid to serve the dashboard" }).catch((err) => {
      throw new Error(`${err.message}\n--- hodeid output ---\n${this.output}`);
    });
  }

  get baseUrl() {
    return this.tls ? `https://localhost:${this.httpPort}` : `http://127.0.0.1:${this.httpPort}`;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  async cleanup() {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export async function launchBrowser(extraArgs = []) {
  const profile = mkdtempSync(path.join(os.tmpdir(), "hodei-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", ...CHROMIUM_ARGS, ...extraArgs],
    viewport: { width: 1280, height: 860 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
