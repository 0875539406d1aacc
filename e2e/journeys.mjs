// The shopper's and the owner's journeys, each on a 390x844 phone and a
// 1280x800 desktop, in Debian's Chromium: browse a category, filter it and
// choose a variant; a guest's keyboard-only checkout declined with 4000…0002
// then paid with 4242…; a search with no results; a discount code and
// quantities in the cart; a shopper who signs up, keeps an address book,
// buys, finds the order in her history, downloads her data and deletes her
// account, and the owner who ships and refunds that order while the shopper
// watches it change. Each refused form (a quantity, a declined card, an
// address, a refund) must come back on a GET page with the reason focused
// and what was typed, and a reload there must send nothing. Usage:
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
const started = Date.now();
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

// reloadSendsNothing reloads the page and checks that it was a GET page
// (redirect after POST): the reload sends no form again, stays where it was
// and no longer shows the refusal, which the first visit spent.
async function reloadSendsNothing(page, refusal) {
  const sent = [];
  const onRequest = (r) => { if (r.isNavigationRequest() && r.method() !== "GET") sent.push(r.method() + " " + r.url()); };
  page.on("request", onRequest);
  const before = page.url();
  await page.reload();
  page.off("request", onRequest);
  assert.deepEqual(sent, [], "the reload sent a form again");
  assert.equal(page.url(), before, "the reload went elsewhere");
  if (refusal) assert.doesNotMatch(await main(page), refusal, "the reload still shows the refusal");
}

// refusedAt checks a refused form's answer: the browser is on the page's
// GET address (not the form's action), the summary has focus, and it says
// what went wrong.
//
// Most forms post from the page they come back to, so the URL alone does
// not say the answer has arrived (CI once read the focus while the form's
// own page was still showing): wait for a focused summary instead, on
// whichever page it appears.
async function refusedAt(page, path, says) {
  let focused = "";
  try {
    const answer = await page.waitForFunction(() => {
      const el = document.activeElement;
      return el && el.getAttribute("role") === "alert" ? el.innerText || " " : "";
    }, null, { timeout: 30000 });
    focused = await answer.jsonValue();
  } catch (err) {
    if (!/Timeout/i.test(String(err))) throw err;
  }
  assert.match(focused, says, "the refusal's summary does not have focus");
  assert.equal(new URL(page.url()).pathname, path, "the refusal is not on the form's page");
}

// tabTo presses Tab until the focused element matches selector.
async function tabTo(page, selector, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((sel) => !!document.activeElement && document.activeElement.matches(sel), selector)) return;
  }
  throw new Error(`Tab never reaches ${selector}`);
}

// typeFields types each text into the focused field and tabs to the next.
async function typeFields(page, texts) {
  for (const text of texts) {
    if (text) await page.keyboard.type(text);
    await page.keyboard.press("Tab");
  }
}

// payByKeyboard enters card on the sandbox's hosted card page, from the
// keyboard, and comes back to the review.
async function payByKeyboard(page, card) {
  await page.waitForURL(/\/sandbox-gateway\/pay\?/);
  await tabTo(page, "#number");
  await typeFields(page, [card, "12"]);
  await page.keyboard.press("Control+A");
  await typeFields(page, [String(new Date().getFullYear() + 3), "123"]);
  await tabTo(page, "button[type=submit]");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/checkout\/review$/);
}

await check("browse a category, filter it, choose a variant and add it; a refused quantity comes back to the product", async (page, context, size) => {
  await page.goto(base + "/");
  if (size === "phone") {
    // The category links are in the header on both sizes.
    assert.ok(await page.locator("nav.category-nav a[href^='/c/']").count() > 0, "no category links");
  }
  await page.locator("nav.category-nav a[href='/c/clothing']").first().click();
  await page.waitForURL(/\/c\/clothing/);
  const results = async () => parseInt((await page.locator("#result-count").innerText()).replace(/\D/g, ""), 10);
  const all = await results();
  const facets = page.locator("details#facets");
  if (!(await facets.evaluate((d) => d.open))) await facets.locator("summary").click();
  await page.locator("label[for=f-stock]").click();
  await page.locator("#filters button[type=submit]").click();
  await page.waitForURL(/in_stock=true/);
  const inStock = await results();
  assert.ok(inStock > 0 && inStock <= all, `in stock ${inStock} of ${all}`);
  // A product with choices: pick another one, the SKU follows.
  await page.goto(base + "/search?q=shirt&in_stock=true");
  await page.locator("main a[href^='/p/']").first().click();
  await page.waitForURL(/\/p\//);
  const product = new URL(page.url()).pathname;
  const radios = page.locator("#variant-form input[type=radio]");
  const before = await page.locator("#variant-sku").innerText();
  let changed = false;
  for (let i = 0; i < (await radios.count()) && !changed; i++) {
    const r = radios.nth(i);
    if (await r.isChecked() || await r.isDisabled()) continue;
    await page.locator(`label[for="${await r.getAttribute("id")}"]`).click();
    const after = await page.locator("#variant-sku").innerText();
    changed = after !== before && after !== "" && await page.getByRole("button", { name: "Add to cart" }).isEnabled();
  }
  assert.ok(changed, "picking another option did not change the SKU");
  const sku = await page.locator("#variant-sku").innerText();
  // 100 is refused: back on the product (not the form's address), the
  // choice and the typed quantity kept; a reload sends nothing.
  await page.getByLabel("Quantity").fill("100");
  await page.getByRole("button", { name: "Add to cart" }).click();
  await refusedAt(page, product, /between 1 and 99/);
  assert.equal(await page.getByLabel("Quantity").inputValue(), "100", "the typed quantity was lost");
  assert.equal(await page.locator("#variant-sku").innerText(), sku, "the chosen variant was lost");
  await reloadSendsNothing(page, /between 1 and 99/);
  assert.equal(await count(page), "0");
  await page.getByLabel("Quantity").fill("1");
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.waitForURL(/\/cart\?done=added/);
  assert.equal(await count(page), "1");
});

await check("a guest checks out from the keyboard alone: 4000 0000 0000 0002 is declined once, a reload sends nothing, then 4242 4242 4242 4242 pays", async (page) => {
  await addSomething(page);
  await tabTo(page, "main a[href='/checkout']");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/checkout$/);
  await tabTo(page, "#email");
  // Email, name, street, suburb, city, postal code, past the country.
  await typeFields(page, [`kb-${Date.now()}@example.com`, "Key Board", "9 Tab Street", "", "Durban", "4001", ""]);
  assert.equal(await page.evaluate(() => document.activeElement.id), "phone");
  await page.keyboard.type("031 555 0199");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/checkout\/shipping$/);
  await tabTo(page, "main form button[type=submit]");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/checkout\/payment$/);
  await tabTo(page, "main form button[type=submit]");
  await page.keyboard.press("Enter");
  await payByKeyboard(page, "4000 0000 0000 0002");
  await tabTo(page, "main form button[type=submit]");
  await page.keyboard.press("Enter");
  // Declined: on the payment step's own address, the reason focused and
  // said once, the cart kept; the reload asks nothing and places nothing.
  await refusedAt(page, "/checkout/payment", /declined/i);
  const alert = await page.getByRole("alert").innerText();
  assert.equal(alert.split("Try another card").length - 1, 1, `the decline says "Try another card" more than once: ${alert}`);
  assert.match(alert, /Nothing was charged and your cart is kept/);
  assert.equal(await count(page), "1");
  await reloadSendsNothing(page, /declined/i);
  assert.equal(await count(page), "1");
  await tabTo(page, "main form button[type=submit]");
  await page.keyboard.press("Enter");
  await payByKeyboard(page, "4242 4242 4242 4242");
  await tabTo(page, "main form button[type=submit]");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/orders\/[0-9a-f]{32}/);
  assert.match(await main(page), /Paid/);
  assert.equal(await count(page), "0");
});

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

  // The address book: a refused address comes back to the account page with
  // what was typed; the reload sends nothing; the corrected one is kept.
  await page.getByLabel("Recipient name").fill("Zanele Dlamini");
  await page.getByLabel("Street and number").fill("12 Kelp Road");
  await page.getByLabel("Postal code").fill("6001");
  await page.getByRole("button", { name: "Add address" }).click();
  await refusedAt(page, "/account", /address|missing|wrong|correct/i);
  assert.equal(await page.getByLabel("Street and number").inputValue(), "12 Kelp Road", "the typed street was lost");
  assert.equal(await page.getByLabel("City", { exact: true }).getAttribute("aria-invalid"), "true", "the missing city is not marked");
  await reloadSendsNothing(page, /City is required/);
  await page.getByLabel("Recipient name").fill("Zanele Dlamini");
  await page.getByLabel("Street and number").fill("12 Kelp Road");
  await page.getByLabel("City", { exact: true }).fill("Gqeberha");
  await page.getByLabel("Postal code").fill("6001");
  await page.getByRole("button", { name: "Add address" }).click();
  await page.waitForURL(/done=address-added/);
  assert.match(await page.locator("#addresses").innerText(), /12 Kelp Road/);

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
    // More than was paid is refused on the order's own page, the amount
    // kept; the reload refunds nothing.
    await admin.getByLabel(/^Amount in/).fill("99999.00");
    await admin.getByRole("button", { name: "Refund" }).click();
    await refusedAt(admin, new URL(admin.url()).pathname, /refund/i);
    assert.equal(await admin.getByLabel(/^Amount in/).inputValue(), "99999.00", "the typed amount was lost");
    await reloadSendsNothing(admin, /A refund must be between/);
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
console.log(`${passed + failed} journeys run (${Object.keys(viewports).length} viewports), ${failed} failed, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
