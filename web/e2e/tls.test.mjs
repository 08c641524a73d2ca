// The dashboard over https (issue 15): hodeid serves its HTTP port with a
// certificate from `hodeid tls init`; Chromium, with certificate errors NOT
// ignored, loads it and calls gRPC-Web when it trusts that certificate's
// key, and refuses the page when it does not.
//   HODEI_BIN=/path/to/hodeid node --test e2e/tls.test.mjs
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Hodeid, launchBrowser } from "./harness.mjs";

const WEB_DIST = path.resolve("dist");
const TIMEOUT = 20_000;

let server;
let tlsDir;
let certDir;

/** Chromium's way to trust one key: the base64 SHA-256 of its SubjectPublicKeyInfo. */
function spkiHash(pemFile) {
  const cert = new X509Certificate(readFileSync(pemFile));
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

before(async () => {
  const bin = process.env.HODEI_BIN;
  assert.ok(bin, "set HODEI_BIN to the hodeid binary");
  certDir = mkdtempSync(path.join(os.tmpdir(), "hodei-e2e-tls-"));
  execFileSync(path.resolve(bin), ["tls", "init", "--data-dir", certDir, "--host", "localhost,127.0.0.1"]);
  tlsDir = path.join(certDir, "tls");
  server = new Hodeid(path.resolve(bin), WEB_DIST, {
    tls: { cert: path.join(tlsDir, "server.pem"), key: path.join(tlsDir, "server.key"), ca: path.join(tlsDir, "ca.pem") },
  });
  await server.start();
});

after(async () => {
  await server?.cleanup();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

describe("the dashboard over https", () => {
  it("loads and talks gRPC-Web when Chromium trusts the certificate", async () => {
    const browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${spkiHash(path.join(tlsDir, "server.pem"))}`]);
    try {
      const page = await browser.context.newPage();
      const res = await page.goto(`${server.baseUrl}/`, { timeout: TIMEOUT });
      assert.equal(res.status(), 200);
      assert.ok(page.url().startsWith("https://"), page.url());
      await page.getByTestId("stat-total").waitFor({ timeout: TIMEOUT }); // filled by gRPC-Web calls
      const secure = await page.evaluate(() => window.isSecureContext && location.protocol);
      assert.equal(secure, "https:");
    } finally {
      await browser.close();
    }
  });

  it("is refused by a Chromium that does not trust it", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await assert.rejects(page.goto(`${server.baseUrl}/`, { timeout: TIMEOUT }), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await browser.close();
    }
  });
});
