// Real-user monitoring in a real browser: static/rum.js reports a
// JavaScript error and a page's Web Vitals to the shop, under its CSP.
// Usage: node rum.mjs http://127.0.0.1:PORT
// Run by internal/cli's TestBrowserRUM, which then reads what the shop
// stored; exits non-zero on the first failed check.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const base = process.argv[2];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic"],
});
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const csp = [];
  page.on("console", (m) => { if (m.type() === "error" && /Content Security Policy/.test(m.text())) csp.push(m.text()); });
  const posted = (path) => page.waitForResponse((r) => r.url().endsWith(path) && r.request().method() === "POST");
  await page.goto(base + "/");
  const product = await page.locator("main a[href^='/p/']").first().getAttribute("href");
  await page.goto(base + product);
  // A script error of the page's own: thrown from a timer, so only
  // window.onerror sees it.
  const errorSent = posted("/errors/browser");
  await page.evaluate(() => setTimeout(() => { throw new TypeError("rum test: variants.map is not a function"); }, 0));
  assert.equal((await errorSent).status(), 204, "the error report was refused");
  const rejectionSent = posted("/errors/browser");
  await page.evaluate(() => { Promise.reject(new Error("rum test: a promise nobody caught")); });
  assert.equal((await rejectionSent).status(), 204, "the rejection report was refused");
  // An interaction for INP, then the page goes to the background: the
  // vitals beacon goes.
  await page.mouse.click(10, 10);
  const vitalsSent = posted("/vitals");
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    document.dispatchEvent(new Event("visibilitychange", { bubbles: true }));
  });
  const v = await vitalsSent;
  assert.equal(v.status(), 204, "the vitals beacon was refused");
  const body = JSON.parse(v.request().postData());
  assert.equal(body.page, product);
  assert.ok(body.ttfb > 0, `no TTFB in ${JSON.stringify(body)}`);
  assert.ok(body.lcp > 0, `no LCP in ${JSON.stringify(body)}`);
  assert.ok(typeof body.cls === "number" || body.cls === undefined, "CLS must be a number when present");
  assert.deepEqual(csp, [], "the reporter broke the Content Security Policy");
  console.log(`ok - rum.js reported an error, a rejection and vitals ${JSON.stringify(body)}`);
} finally {
  await browser.close();
}
