// The owner's back office end to end, on a 1280x800 desktop in Debian's
// Chromium: the owner signs in, creates a product with two sizes and a
// brand, uploads a photo (e2e/fixtures/beanie.jpg) and describes it,
// publishes the product; a guest finds it through the shop's search and
// buys one size M with the sandbox's test card; the owner refunds the
// order with its items back in stock, and the size's stock is what it was.
// And a 600-row CSV import whose rows are checked, then written, while the
// page shows its progress and then the result, without reloading.
// Usage:
//   node backoffice.mjs https://localhost:PORT ADMIN_EMAIL ADMIN_PASSWORD
// Against a fresh shop with the demo catalog (scripts/pages.sh starts one).
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { api, chromePath } from "./shop.mjs";

const [base, adminEmail, adminPassword] = process.argv.slice(2);
if (!base || !adminEmail || !adminPassword) {
  console.error("usage: node backoffice.mjs BASE_URL ADMIN_EMAIL ADMIN_PASSWORD");
  process.exit(2);
}
const photo = fileURLToPath(new URL("./fixtures/beanie.jpg", import.meta.url));
const browser = await chromium.launch({ executablePath: chromePath, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const desktop = { viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true };
let failed = 0, passed = 0;

async function check(name, fn) {
  const contexts = [];
  const problems = [];
  const open = async () => {
    const context = await browser.newContext(desktop);
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) problems.push(m.text()); });
    return page;
  };
  const started = Date.now();
  try {
    await fn(open);
    assert.deepEqual(problems, [], "a page logged errors (CSP violations, script errors)");
    passed++;
    console.log(`ok - ${name} (desktop, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name} (desktop)\n  ${String(e.stack || e).split("\n").join("\n  ")}`);
  } finally {
    for (const c of contexts) await c.close();
  }
}

const main = (page) => page.locator("main").innerText();

// stockOf reads a variant's stock as the owner's API sees it.
async function stockOf(token, productID, sku) {
  const p = await api(base)("GET", `/api/v1/admin/products/${productID}`, { token });
  const v = p.variants.find((v) => v.sku === sku);
  if (!v) throw new Error(`product ${productID} has no variant ${sku}`);
  return v.stock;
}

await check("the owner creates, pictures and publishes a product; a guest finds and buys it; the refund puts it back in stock", async (open) => {
  const tag = Date.now().toString(36).slice(-5);
  const name = `Harbour beanie ${tag}`, skuS = `HB-${tag}-S`.toUpperCase(), skuM = `HB-${tag}-M`.toUpperCase();

  // The owner signs in and creates the product as a draft.
  const admin = await open();
  await admin.goto(base + "/account/signin");
  await admin.getByLabel("Email address").fill(adminEmail);
  await admin.getByLabel("Password").fill(adminPassword);
  await admin.getByRole("button", { name: "Sign in" }).click();
  await admin.waitForURL((u) => !u.pathname.startsWith("/account/signin"));
  await admin.goto(base + "/admin/products");
  await admin.getByRole("link", { name: "New product" }).click();
  await admin.waitForURL(/\/admin\/products\/new$/);
  await admin.getByLabel("Name", { exact: true }).fill(name);
  await admin.getByLabel(/^Brand/).fill("Tidewater Knits");
  await admin.getByLabel(/^Description/).fill("A rib-knit beanie in **merino**, warm on the harbour wall.");
  await admin.getByLabel("Category").selectOption({ index: 1 });
  await admin.getByLabel("Status").selectOption("draft");
  await admin.getByLabel("Option 0 name").fill("Size");
  await admin.locator("#option_values_0").fill("S, M");
  for (const [row, sku, size, qty] of [[0, skuS, "S", "4"], [1, skuM, "M", "3"]]) {
    await admin.getByLabel(`SKU, row ${row}`, { exact: true }).fill(sku);
    await admin.getByLabel(`Option 0, row ${row}`, { exact: true }).fill(size);
    await admin.getByLabel(`price, row ${row}`, { exact: true }).fill("249.00");
    await admin.getByLabel(`stock, row ${row}`, { exact: true }).fill(qty);
  }
  await admin.getByRole("button", { name: "Save" }).click();
  await admin.waitForURL(/\/admin\/products\/\d+\?done=product$/);
  const productURL = admin.url().replace(/\?.*/, "");
  const productID = productURL.match(/(\d+)$/)[1];
  const { access_token: token } = await api(base)("POST", "/api/v1/auth/login", { body: { email: adminEmail, password: adminPassword } });
  const stock = (sku) => stockOf(token, productID, sku);
  assert.match(await main(admin), /The product is saved\./);
  assert.match(await main(admin), /Status: draft/);

  // A photo with alt text.
  await admin.getByRole("link", { name: "pictures" }).click();
  await admin.waitForURL(/\/images$/);
  await admin.locator("input[type=file]").setInputFiles(photo);
  await admin.getByRole("button", { name: "Upload" }).click();
  await admin.waitForLoadState();
  const alt = "Navy rib-knit beanie with a folded cuff";
  await admin.getByLabel("Alt text of picture 1").fill(alt);
  await admin.getByRole("button", { name: "Save order and alt text" }).click();
  await admin.waitForLoadState();
  assert.match(await main(admin), /The order and the alt text were saved\./);

  // Publish.
  await admin.goto(productURL);
  await admin.getByRole("button", { name: "publish" }).click();
  await admin.waitForLoadState();
  assert.match(await main(admin), /Status: active/);

  // A guest finds it through the search box and buys one size M.
  const guest = await open();
  await guest.goto(base + "/");
  await guest.getByRole("searchbox").first().fill(`harbour beanie ${tag}`);
  await guest.keyboard.press("Enter");
  await guest.waitForURL(/\/search\?q=/);
  await guest.getByRole("link", { name: new RegExp(name) }).first().click();
  await guest.waitForURL(/\/p\//);
  assert.equal(await guest.locator("h1").innerText(), name);
  assert.match(await main(guest), /Tidewater Knits/, "the product page does not show the brand");
  const img = guest.locator(".product-media img").first();
  assert.equal(await img.getAttribute("alt"), alt, "the photo's alt text is not on the product page");
  assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), "the photo did not load");
  await guest.getByText("M", { exact: true }).click();
  await guest.getByRole("button", { name: "Add to cart" }).click();
  await guest.waitForURL(/\/cart\?done=added/);
  assert.match(await main(guest), new RegExp(`${name}[\\s\\S]*M`));
  await guest.getByRole("link", { name: "Check out" }).click();
  await guest.waitForURL(/\/checkout$/);
  await guest.getByLabel("Email address").fill(`guest-${tag}@example.com`);
  await guest.getByLabel("Full name").fill("Sipho Nkosi");
  await guest.getByLabel("Street address").fill("3 Quay Street");
  await guest.getByLabel("City or town").fill("Cape Town");
  await guest.getByLabel("Postal code").fill("8001");
  await guest.getByLabel("Country").selectOption("ZA");
  await guest.getByLabel("Phone for the courier").fill("021 555 0199");
  await guest.getByRole("button", { name: "Continue to shipping" }).click();
  await guest.waitForURL(/\/checkout\/shipping$/);
  await guest.getByRole("button", { name: "Continue to payment" }).click();
  await guest.waitForURL(/\/checkout\/payment$/);
  await guest.getByRole("button", { name: /Enter card details/ }).click();
  await guest.waitForURL(/\/sandbox-gateway\/pay\?/);
  await guest.getByLabel("Card number").fill("4242 4242 4242 4242");
  await guest.getByLabel("Month").fill("12");
  await guest.getByLabel("Year").fill(String(new Date().getFullYear() + 3));
  await guest.getByLabel("Security code (CVC)").fill("123");
  await guest.getByRole("button", { name: /^Pay/ }).click();
  await guest.waitForURL(/\/checkout\/review$/);
  await guest.getByRole("button", { name: /Place order/ }).click();
  await guest.waitForURL(/\/orders\/[0-9a-f]{32}/);
  const number = (await guest.locator("h1").innerText()).replace(/^Order /, "").trim();
  assert.match(await main(guest), new RegExp(name));
  assert.equal(await stock(skuM), 2, "the sale did not take one M from stock");
  assert.equal(await stock(skuS), 4);

  // The owner refunds the whole order and puts the beanie back in stock.
  await admin.goto(base + "/admin/orders");
  await admin.getByRole("link", { name: number }).first().click();
  await admin.waitForURL(/\/admin\/orders\//);
  const left = (await admin.getByText(/^Up to .* can be refunded/).innerText()).match(/Up to \D*([\d\s,.]+\d)/)[1].replace(/[\s,]/g, "");
  await admin.getByLabel(/^Amount in/).fill(left);
  await admin.getByLabel("Put the order’s items back in stock").check();
  await admin.getByRole("button", { name: "Refund" }).click();
  await admin.waitForLoadState();
  assert.match(await admin.locator("#refunds-title").locator("..").innerText(), new RegExp(left.replace(".", "\\.")));
  assert.match(await main(admin), /Refunded/);
  assert.equal(await stock(skuM), 3, "the refund with restock did not put the M back");
  assert.equal(await stock(skuS), 4);
});

await check("the owner imports a CSV file and sees its rows checked, then written, without leaving the page", async (open) => {
  const tag = Date.now().toString(36).slice(-5);
  let csv = "Handle,Title,Vendor,Type,Status,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\n";
  for (let i = 0; i < 300; i++) {
    csv += `import-${tag}-${i},Imported mug ${i},Tidewater,Kitchen,active,Size,S,IM-${tag}-${i}-S,120.00,5\n`;
    csv += `import-${tag}-${i},,,,,,M,IM-${tag}-${i}-M,130.00,5\n`;
  }
  const admin = await open();
  await admin.goto(base + "/account/signin");
  await admin.getByLabel("Email address").fill(adminEmail);
  await admin.getByLabel("Password").fill(adminPassword);
  await admin.getByRole("button", { name: "Sign in" }).click();
  await admin.waitForURL((u) => !u.pathname.startsWith("/account/signin"));
  await admin.goto(base + "/admin/products/import");
  await admin.evaluate(() => { window.stayed = true; });
  const streams = [];
  admin.on("response", (r) => { if (r.request().method() === "POST") streams.push(r); });
  const rowsSeen = async () => {
    const r = streams.shift();
    assert.equal(r.headers()["content-type"], "application/x-ndjson", "the form was not sent for progress");
    const lines = (await r.text()).trim().split("\n").map((l) => JSON.parse(l));
    return lines.filter((l) => l.event === "progress").map((l) => `${l.phase} ${l.done}/${l.total}`);
  };

  await admin.locator("input[type=file]").setInputFiles({ name: "mugs.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await admin.getByRole("button", { name: /Check the file/ }).click();
  await admin.getByText("Dry run: 300 products to create").waitFor();
  let seen = await rowsSeen();
  assert.equal(seen[0], "check 0/600");
  assert.equal(seen.at(-1), "check 600/600");
  await admin.getByRole("button", { name: "Import" }).click();
  await admin.getByText("Imported: 300 products created").waitFor();
  seen = await rowsSeen();
  assert.ok(seen.includes("write 0/600") && seen.at(-1) === "write 600/600" && seen.length > 4, `progress: ${seen}`);
  assert.ok(await admin.evaluate(() => window.stayed), "the page was reloaded: the progress bar cannot have shown");
  assert.ok(await admin.locator("#main").evaluate((m) => document.activeElement === m), "the result did not take the focus");

  const guest = await open();
  await guest.goto(`${base}/p/import-${tag}-299`);
  assert.equal(await guest.locator("h1").innerText(), "Imported mug 299");
  assert.match(await main(guest), /Tidewater/);
});

await browser.close();
console.log(`${passed + failed} back-office journeys run, ${failed} failed`);
process.exit(failed ? 1 : 0);
