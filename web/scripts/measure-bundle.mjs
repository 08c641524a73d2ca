// Initial JavaScript of the dashboard, gzipped: the entry script plus the
// chunks index.html preloads (lazy pages are not counted: they load later).
//   node scripts/measure-bundle.mjs [dist]      (prints JSON; exit 1 over budget)
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_BYTES = 300 * 1024;
const dist = path.resolve(process.argv[2] ?? "dist");
const html = readFileSync(path.join(dist, "index.html"), "utf8");
const urls = [
  ...html.matchAll(/<script[^>]+type="module"[^>]+src="([^"]+)"/g),
  ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g),
].map((m) => m[1]);

const files = [...new Set(urls)].map((url) => {
  const bytes = readFileSync(path.join(dist, url.replace(/^\//, "")));
  return { file: url, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
});
const gzip = files.reduce((s, f) => s + f.gzip, 0);
const raw = files.reduce((s, f) => s + f.raw, 0);
console.log(JSON.stringify({ files, raw, gzip, gzipKiB: +(gzip / 1024).toFixed(1), budgetKiB: BUDGET_BYTES / 1024 }, null, 2));
process.exit(gzip <= BUDGET_BYTES ? 0 : 1);
