// Browser tests for buying: a guest finds a product in the demo catalog,
// adds it to the cart, checks out, pays on the sandbox gateway's hosted card
// page and sees the confirmation; then a declined card keeps the cart. In
// Debian's Chromium driven by playwright-core. Usage:
//   node checkout.mjs https://localhost:PORT
// Run by internal/cli's TestBrowserCheckout against the real server over
// HTTPS (the cart and checkout cookies are __Host-, so Secure). Exits
// non-zero on the first failed check.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const base = process.argv[2];
if (!base) {
  console.error("usage: node checkout.mjs BASE_URL");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic"],
});
// The local CA is not in Chromium's store; the Go tests check the certificate.
const desktop = { viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true };
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, ignoreHTTPSErrors: true };
let failed = 0;

async function check(name, options, fn) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  try {
    await fn(page, context);
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

// findAndAdd searches the demo catalog, opens the first product in stock and
// adds its preselected variant to the cart; it returns the product's name.
async function findAndAdd(page) {
  await page.goto(base + "/");
  await page.getByRole("searchbox").first().fill("merino");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/search\?q=merino/);
  // Only what can be bought.
  await page.goto(page.url() + "&in_stock=true");
  await page.locator("main a.card-link").first().click();
  await page.waitForURL(/\/p\//);
  const name = (await page.locator("h1").innerText()).trim();
  const add = page.getByRole("button", { name: "Add to cart" });
  assert.ok(await add.isEnabled(), "the preselected variant cannot be added");
  await page.getByLabel("Quantity", { exact: true }).fill("1");
  await add.click();
  await page.waitForURL(/\/cart\?done=added/);
  assert.match(await page.locator("main").innerText(), new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.equal((await page.locator("#cart-count").innerText()).replace(/\D/g, ""), "1");
  return name;
}

// details fills the details step as a guest.
async function details(page) {
  await page.getByRole("link", { name: "Check out" }).click();
  await page.waitForURL(/\/checkout$/);
  await page.getByLabel("Email address").fill("guest@example.com");
  await page.getByLabel("Full name").fill("Thandi Guest");
  await page.getByLabel("Street address").fill("3 Harbour Road");
  await page.getByLabel("Apartment, unit or suburb").fill("Sea Point");
  await page.getByLabel("City or town").fill("Cape Town");
  await page.getByLabel("Postal code").fill("8005");
  await page.getByLabel("Country").selectOption("ZA");
  await page.getByLabel("Phone for the courier").fill("021 555 0100");
  await page.getByRole("button", { name: "Continue to shipping" }).click();
  await page.waitForURL(/\/checkout\/shipping$/);
  assert.match(await page.locator("main").innerText(), /Free on orders of R750\.00 or more/);
  await page.getByLabel(/Express delivery/).check();
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.waitForURL(/\/checkout\/payment$/);
}

// payWith enters a card on the sandbox gateway's hosted page.
async function payWith(page, number) {
  await page.getByRole("button", { name: /Enter card details|Try another card|Use another card/ }).click();
  await page.waitForURL(/\/sandbox-gateway\/pay\?/);
  await page.getByLabel("Card number").fill(number);
  await page.getByLabel("Month").fill("12");
  await page.getByLabel("Year").fill(String(new Date().getFullYear() + 3));
  await page.getByLabel("Security code (CVC)").fill("123");
  await page.getByRole("button", { name: /^Pay/ }).click();
  await page.waitForURL(/\/checkout\/review$/);
}

await check("a guest finds a product, checks out with 4242 4242 4242 4242 and sees the confirmation", desktop, async (page, context) => {
  const name = await findAndAdd(page);
  const cart = (await context.cookies()).find((c) => c.name === "__Host-ocean_cart");
  assert.ok(cart && cart.secure && cart.httpOnly && cart.sameSite === "Lax" && cart.path === "/", JSON.stringify(cart));
  assert.match(await page.locator("main").innerText(), /Shipping calculated at checkout/);

  await details(page);
  const sealed = (await context.cookies()).find((c) => c.name === "__Host-ocean_checkout");
  assert.ok(sealed && !/Harbour|guest/i.test(sealed.value), "the checkout cookie is not sealed");
  await payWith(page, "4242 4242 4242 4242");

  const review = await page.locator("main").innerText();
  assert.match(review, /Visa ending 4242/);
  assert.match(review, /3 Harbour Road/);
  assert.match(review, /Express delivery/);
  assert.ok(review.includes(name), "the review does not list the product");
  await page.getByRole("button", { name: /Place order/ }).click();
  await page.waitForURL(/\/orders\/[0-9a-f]{32}/);
  assert.match(await page.locator("h1").innerText(), /^Order OC\d+$/);
  const done = await page.locator("main").innerText();
  assert.match(done, /Thank you! Your order OC\d+ is confirmed/);
  assert.match(done, /Paid/);
  assert.equal((await page.locator("#cart-count").innerText()).replace(/\D/g, ""), "0");
});

await check("a declined card (4000 0000 0000 0002) says so in plain words and keeps the cart", desktop, async (page) => {
  const name = await findAndAdd(page);
  await details(page);
  await payWith(page, "4000 0000 0000 0002");
  await page.getByRole("button", { name: /Place order/ }).click();
  await page.waitForLoadState();
  const alert = await page.getByRole("alert").innerText();
  assert.match(alert, /declined/i);
  assert.match(alert, /your cart is kept/i);
  assert.ok(await page.getByRole("button", { name: "Try another card" }).isVisible(), "no way to try another card");
  assert.equal((await page.locator("#cart-count").innerText()).replace(/\D/g, ""), "1");
  await page.getByRole("link", { name: /^Cart/ }).click();
  assert.ok((await page.locator("main").innerText()).includes(name), "the cart lost the product");
});

await check("the cart and checkout work from the keyboard alone, on a phone, without sideways scrolling", phone, async (page) => {
  await findAndAdd(page);
  await noSideways(page);
  // Change the quantity with the keyboard: focus the field, type, Enter.
  await page.getByLabel(/^Quantity/).first().focus();
  await page.keyboard.press("Control+A");
  await page.keyboard.type("2");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/cart\?done=updated/);
  assert.equal((await page.locator("#cart-count").innerText()).replace(/\D/g, ""), "2");
  // Tab to "Check out" and follow it.
  let reached = false;
  for (let i = 0; i < 60 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement && document.activeElement.textContent.trim() === "Check out");
  }
  assert.ok(reached, "Tab never reaches Check out");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/checkout$/);
  await noSideways(page);
  await page.getByLabel("Email address").focus();
  // Email, name, street, suburb, city, postal code, then past the country
  // select (South Africa is chosen) to the phone, where Enter submits.
  for (const text of ["kb@example.com", "Key Board", "9 Tab Street", "", "Durban", "4001", ""]) {
    await page.keyboard.type(text);
    await page.keyboard.press("Tab");
  }
  assert.equal(await page.evaluate(() => document.activeElement.id), "phone");
  await page.keyboard.type("031 555 0199");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/checkout\/shipping$/);
  await noSideways(page);
});

await browser.close();
process.exit(failed ? 1 : 0);
