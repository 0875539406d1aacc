// The shopper's and the owner's journeys that storefront.mjs, checkout.mjs
// and accounts.mjs do not walk, each on a 390x844 phone and a 1280x800
// desktop, in Debian's Chromium: a search with no results, a discount code
// in the cart, a shopper who signs up, buys, finds the order in her history,
// downloads her data and deletes her account, and the owner who ships and
// refunds that order while the shopper watches it change. Usage:
//   node journeys.mjs https://localhost:PORT ADMIN_EMAIL ADMIN_PASSWORD
// Against a fresh shop with the demo catalog (scripts/pages.sh starts one).
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { chromePath } from "./shop.mjs";

const [base, adminEmail, adminPassword] = process.argv.slice(2);
if (!base || !adminEmail || !adminPassword) {
  console.error("usage: node journeys.mjs BASE_URL ADMIN_EMAIL ADMIN_PASSWORD");
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: chromePath, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const viewports = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, ignoreHTTPSErrors: true },
  desktop: { viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true },
};
let failed = 0, passed = 0;

async function check(name, fn) {
  for (const [size, options] of Object.entries(viewports)) {
    const context = await browser.newContext({ ...options, acceptDownloads: true });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) problems.push(m.text()); });
    try {
      await fn(page, context, size);
      assert.deepEqual(problems, [], "the page logged errors (CSP violations, script errors)");
      passed++;
      console.log(`ok - ${name} (${size})`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${name} (${size})\n  ${String(e.stack || e).split("\n").join("\n  ")}`);
    } finally {
      await context.close();
    }
  }
}

const main = (page) => page.locator("main").innerText();
const count = async (page) => (await page.locator("#cart-count").innerText()).replace(/\D/g, "");

async function addSomething(page) {
  await page.goto(base + "/search?q=merino&in_stock=true");
  await page.locator("main a.card-link").first().click();
  await page.waitForURL(/\/p\//);
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.waitForURL(/\/cart\?done=added/);
}

await check("a search with no results says so and offers a way on", async (page) => {
  await page.goto(base + "/");
  await page.getByRole("searchbox").first().fill("zqxjv unicorn saddle");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/search\?q=/);
  assert.match(await main(page), /No products match “zqxjv unicorn saddle”/);
  assert.ok(await page.locator("main a[href]").count() > 0, "no way on from an empty result");
});

await check("a discount code is applied, shown in the totals and removed; a wrong one is explained", async (page) => {
  await addSomething(page);
  await page.getByLabel("Discount code").fill("NOT-A-CODE");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForLoadState();
  assert.match(await page.locator(".discount").innerText(), /not|unknown|invalid|expired/i);
  await page.getByLabel("Discount code").fill("WELCOME10");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForLoadState();
  assert.match(await page.locator(".discount").innerText(), /WELCOME10 applied/);
  assert.match(await main(page), /Discount/);
  await page.getByRole("button", { name: /Remove the discount code/ }).click();
  await page.waitForLoadState();
  assert.ok(await page.getByLabel("Discount code").isVisible(), "the code was not removed");
  // Quantities: two of it, then none.
  await page.getByLabel(/^Quantity/).first().fill("2");
  await page.getByLabel(/^Quantity/).first().press("Enter");
  await page.waitForURL(/\/cart\?done=updated/);
  assert.equal(await count(page), "2");
  await page.getByRole("button", { name: /^Remove/ }).first().click();
  await page.waitForLoadState();
  assert.equal(await count(page), "0");
});

await check("a shopper signs up, buys, finds the order, is told it shipped and was refunded, downloads her data and leaves", async (page, context, size) => {
  const email = `journey-${size}-${Date.now()}@example.com`, password = "kelp forests at low tide";
  await page.goto(base + "/account/register");
  await page.getByLabel("Your name").fill("Zanele Dlamini");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/account\/register\?sent=1/);
  await page.goto(base + "/account/signin");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/account(\?|$)/);

  await addSomething(page);
  await page.getByRole("link", { name: "Check out" }).click();
  await page.waitForURL(/\/checkout$/);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Full name").fill("Zanele Dlamini");
  await page.getByLabel("Street address").fill("12 Kelp Road");
  await page.getByLabel("City or town").fill("Gqeberha");
  await page.getByLabel("Postal code").fill("6001");
  await page.getByLabel("Country").selectOption("ZA");
  await page.getByLabel("Phone for the courier").fill("041 555 0123");
  await page.getByRole("button", { name: "Continue to shipping" }).click();
  await page.waitForURL(/\/checkout\/shipping$/);
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.waitForURL(/\/checkout\/payment$/);
  await page.getByRole("button", { name: /Enter card details/ }).click();
  await page.waitForURL(/\/sandbox-gateway\/pay\?/);
  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByLabel("Month").fill("12");
  await page.getByLabel("Year").fill(String(new Date().getFullYear() + 3));
  await page.getByLabel("Security code (CVC)").fill("123");
  await page.getByRole("button", { name: /^Pay/ }).click();
  await page.waitForURL(/\/checkout\/review$/);
  await page.getByRole("button", { name: /Place order/ }).click();
  await page.waitForURL(/\/orders\/[0-9a-f]{32}/);
  const orderURL = page.url();
  const number = (await page.locator("h1").innerText()).replace(/^Order /, "").trim();

  await page.goto(base + "/account/orders");
  assert.ok((await main(page)).includes(number), `order ${number} is not in the history`);

  // The owner ships it and refunds part of it, in another browser.
  const owner = await browser.newContext(viewports[size]);
  try {
    const admin = await owner.newPage();
    await admin.goto(base + "/account/signin");
    await admin.getByLabel("Email address").fill(adminEmail);
    await admin.getByLabel("Password").fill(adminPassword);
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.waitForURL((u) => !u.pathname.startsWith("/account/signin"));
    await admin.goto(base + "/admin/orders");
    await admin.getByRole("link", { name: number }).first().click();
    await admin.waitForURL(/\/admin\/orders\//);
    await admin.getByLabel("Tracking number").fill("TRK" + number);
    await admin.getByRole("button", { name: "Mark shipped" }).click();
    await admin.waitForLoadState();
    assert.match(await admin.locator("main").innerText(), /Shipped/);
    await admin.getByLabel(/^Amount in/).fill("10.00");
    await admin.getByRole("button", { name: "Refund" }).click();
    await admin.waitForLoadState();
    assert.match(await admin.locator("#refunds-title").locator("..").innerText(), /10\.00/);
  } finally {
    await owner.close();
  }

  await page.goto(orderURL);
  const order = await main(page);
  assert.match(order, /TRK/, "the shopper does not see the tracking number");
  assert.match(order, /refund/i, "the shopper does not see the refund");

  await page.goto(base + "/account");
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download my data" }).click();
  const data = readFileSync(await (await download).path(), "utf8");
  assert.ok(data.includes(email) && data.includes(number), "the export lacks the email or the order");

  await page.getByLabel("Type DELETE to confirm").fill("DELETE");
  await page.getByRole("button", { name: "Delete my account" }).click();
  await page.waitForURL(/\/account\/goodbye/);
  await page.goto(base + "/account/signin");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  assert.match(await page.locator("[role=alert]").first().innerText(), /email address or password is wrong/i);
});

await browser.close();
console.log(`${passed + failed} journeys run (${Object.keys(viewports).length} viewports), ${failed} failed`);
process.exit(failed ? 1 : 0);
