// Browser tests for the storefront: what a shopper sees and does, in
// Debian's Chromium driven by playwright-core. Usage:
//   node storefront.mjs http://127.0.0.1:PORT
// Run by internal/cli's TestBrowser against the real server; exits non-zero
// on the first failed check.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const base = process.argv[2];
if (!base) {
  console.error("usage: node storefront.mjs BASE_URL");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic"], // playwright gives each launch a fresh, empty profile
});

const desktop = { viewport: { width: 1280, height: 800 } };
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

let failed = 0;
async function check(name, options, fn, allowed = /^$/) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error" && !allowed.test(m.text())) problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  try {
    await fn(page);
    assert.deepEqual(problems, [], "the page logged errors (CSP violations, script errors)");
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e.stack || e).split("\n").join("\n  ")}`);
  } finally {
    await context.close();
  }
}

async function noSideways(page) {
  const { sw, iw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
  assert.ok(sw <= iw, `page scrolls sideways: ${sw}px wide in a ${iw}px viewport`);
}

await check("search from the home page finds products by a word in their description", desktop, async (page) => {
  await page.goto(base + "/");
  await page.getByRole("searchbox").first().fill("merino");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/search\?q=merino/);
  assert.match(await page.locator("h1").innerText(), /merino/i);
  const cards = page.locator("main a[href^='/p/']");
  assert.ok((await cards.count()) > 0, "no results for merino");
});

await check("filters narrow the results and sorting reorders them (with JavaScript)", desktop, async (page) => {
  await page.goto(base + "/search?q=jacket");
  const count = async () => parseInt((await page.locator("#result-count").innerText()).replace(/\D/g, ""), 10);
  const all = await count();
  await page.locator("label[for=f-stock]").click();
  await page.locator("#filters button[type=submit]").click();
  await page.waitForURL(/in_stock=true/);
  const inStock = await count();
  assert.ok(inStock > 0 && inStock <= all, `in stock ${inStock} of ${all}`);
  assert.equal(await page.locator("main .badge, main :text('Out of stock')").count(), 0, "an out-of-stock product is listed with in-stock only");
  await page.selectOption("#sort", "price_asc");
  await page.waitForURL(/sort=price_asc/);
  const prices = await page.locator("main .card-price").allInnerTexts();
  const nums = prices.map((p) => parseFloat(p.replace(/[^0-9.]/g, ""))).filter((n) => !isNaN(n));
  assert.ok(nums.length > 1, "no prices found on the cards");
  assert.deepEqual(nums, [...nums].sort((a, b) => a - b), "price_asc is not cheapest first");
});

await check("the variant picker updates price, stock and SKU without a reload", desktop, async (page) => {
  await page.goto(base + "/search?q=shirt&in_stock=true");
  await page.locator("main a[href^='/p/']").first().click();
  await page.waitForURL(/\/p\//);
  const url = page.url();
  const radios = page.locator("#variant-form input[type=radio]");
  assert.ok((await radios.count()) > 1, "no options to pick");
  const before = await page.locator("#variant-sku").innerText();
  // Click the label of an unchecked option until the SKU changes.
  let changed = false;
  for (let i = 0; i < (await radios.count()) && !changed; i++) {
    const r = radios.nth(i);
    if (await r.isChecked()) continue;
    await page.locator(`label[for="${await r.getAttribute("id")}"]`).click();
    const after = await page.locator("#variant-sku").innerText();
    changed = after !== before && after !== "";
  }
  assert.ok(changed, "picking another option did not change the SKU");
  assert.equal(page.url().split("?")[0], url.split("?")[0], "the picker navigated away");
});

await check("the variant picker and sort work without JavaScript", { ...desktop, javaScriptEnabled: false }, async (page) => {
  await page.goto(base + "/search?q=shirt&in_stock=true");
  await page.locator("main a[href^='/p/']").first().click();
  const radios = page.locator("#variant-form input[type=radio]");
  const n = await radios.count();
  const target = radios.nth(n - 1);
  const value = await target.getAttribute("value");
  await page.locator(`label[for="${await target.getAttribute("id")}"]`).click();
  await page.getByRole("button", { name: "Show this choice" }).click();
  await page.waitForLoadState();
  assert.ok(decodeURIComponent(page.url().replace(/\+/g, " ")).includes(value), `URL ${page.url()} does not carry ${value}`);
  assert.ok(await page.locator("#variant-form input[type=radio]").nth(n - 1).isChecked(), "the chosen option is not selected after reload");
  await page.goto(base + "/search?q=shirt");
  await page.selectOption("#sort", "newest");
  await page.getByRole("button", { name: "Sort" }).click();
  await page.waitForURL(/sort=newest/);
});

await check("keyboard: the first Tab reaches 'Skip to content', which moves focus to the main content", desktop, async (page) => {
  await page.goto(base + "/");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "Skip to content");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "main");
  // Focus is visible: the focused element has an outline or box shadow.
  await page.keyboard.press("Tab");
  const style = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return s.outlineStyle + " " + s.boxShadow;
  });
  assert.ok(!/^none none$/.test(style), `no visible focus indicator: ${style}`);
});

await check("phone: pages fit the screen and the filters fold away", phone, async (page) => {
  for (const path of ["/", "/search?q=jacket", "/c/clothing"]) {
    await page.goto(base + path);
    await noSideways(page);
  }
  const open = await page.locator("details#facets").evaluate((d) => d.open);
  assert.equal(open, false, "the filter panel is open on a phone");
  await page.goto(base + "/search?q=shirt&in_stock=true");
  await page.locator("main a[href^='/p/']").first().click();
  await noSideways(page);
  const img = page.locator("main img").first();
  const box = await img.boundingBox();
  assert.ok(box && box.width <= 390, "the product picture is wider than the phone");
});

await check("a missing page is a friendly 404 with a way home", desktop, async (page) => {
  const res = await page.goto(base + "/p/no-such-thing");
  assert.equal(res.status(), 404);
  assert.ok((await page.locator("main a[href='/']").count()) > 0, "no link home");
  assert.ok((await page.getByRole("searchbox").count()) > 0, "no search box");
}, /status of 404/); // Chromium logs the 404 status of the page itself

await browser.close();
process.exit(failed ? 1 : 0);
