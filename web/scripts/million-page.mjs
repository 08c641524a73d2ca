// Opens the Jobs page of a hodeid holding a million jobs in Chromium and
// reports how long the first rows take to appear (and screenshots it).
//   node scripts/million-page.mjs http://127.0.0.1:PORT
import { launchBrowser, screenshot } from "../e2e/harness.mjs";

const baseUrl = process.argv[2];
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(`${baseUrl}/#/`);
  await page.getByTestId("stat-total").waitFor({ timeout: 60_000 });
  const t0 = Date.now();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Jobs/ }).click();
  await page.getByTestId("job-row").first().waitFor({ timeout: 60_000 });
  const firstRowsMs = Date.now() - t0;
  const t1 = Date.now();
  await page.getByRole("button", { name: "Next →" }).click();
  await page.getByText(/^Page 2/).waitFor({ timeout: 60_000 });
  const nextPageMs = Date.now() - t1;
  await screenshot(page, "million-jobs-page");
  console.log(JSON.stringify({ firstRowsMs, nextPageMs, total: await page.locator(".pager__info").innerText() }));
} finally {
  await browser.close();
}
