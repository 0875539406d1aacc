// Browser test of the storefront offline (docs/storefront-offline.md):
// the service worker, kept pages, the banner, the offline page, an add to
// cart made offline and sent when back online, and a new deploy's worker
// taking over. In Debian's Chromium driven by playwright-core. Usage:
//   node offline.mjs http://localhost:PORT [phone|desktop]
// Run by internal/web's TestBrowserOffline against an in-process shop
// (products linen-shirt with sizes M and L, ceramic-mug, in category
// goods) whose POST /__test/deploy swaps in the next release. Exits
// non-zero on the first failed check.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const base = process.argv[2];
if (!base) {
  console.error("usage: node offline.mjs BASE_URL [phone|desktop]");
  process.exit(2);
}
const started = Date.now();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic"],
});
// A 390x844 phone (the default) or a 1280x800 desktop (argument "desktop").
const size = process.argv[3] || "phone";
const viewports = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1280, height: 800 } },
};
assert.ok(viewports[size], `unknown size ${size}: phone or desktop`);
const context = await browser.newContext(viewports[size]);
const page = await context.newPage();
const problems = [];
// Offline, the browser itself logs each request that could not be made;
// anything else on the console is a bug (a CSP violation, a script error).
// The refused add answers 409, which the browser logs too.
const offlineNoise = /ERR_INTERNET_DISCONNECTED|Failed to fetch|net::ERR_FAILED|status of 409/;
page.on("console", (m) => { if (m.type() === "error" && !offlineNoise.test(m.text())) problems.push(m.text()); });
page.on("pageerror", (e) => problems.push(String(e)));

let step = "start";
function at(name) {
  step = name;
  console.log(`# ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

// cacheNames and keptPaths read the worker's caches from the page.
const cacheNames = () => page.evaluate(() => caches.keys());
const keptPaths = () => page.evaluate(async () => {
  const out = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith("ocean-pages-")) continue;
    for (const req of await (await caches.open(name)).keys()) out.push(new URL(req.url).pathname);
  }
  return out.sort();
});
// until polls fn in the page (page.waitForFunction does not wait for a
// promise) until it answers true.
async function until(what, fn, arg) {
  const end = Date.now() + 10000;
  while (!(await page.evaluate(fn, arg))) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
// number is the sequence number the test server gave a response; a kept
// copy keeps the number of the response it was made from.
const number = (res) => Number(res.headers()["test-response"]);
const keptNumber = (path) => page.evaluate((p) => caches.match(location.origin + p)
  .then((r) => (r ? Number(r.headers.get("Test-Response")) : 0)), path);
async function waitKept(path) {
  await until(`${path} is kept`, async (p) => {
    for (const name of await caches.keys()) {
      if (name.startsWith("ocean-pages-") && await (await caches.open(name)).match(location.origin + p)) return true;
    }
    return false;
  }, path);
}

try {
  at("the worker installs and controls the page");
  await page.goto(base + "/");
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller);
  const firstCaches = await cacheNames();
  const shell = firstCaches.find((n) => n.startsWith("ocean-shell-"));
  assert.ok(shell, `no shell cache: ${firstCaches}`);
  const shellURLs = await page.evaluate(async (n) => (await (await caches.open(n)).keys()).map((r) => new URL(r.url).pathname), shell);
  assert.ok(shellURLs.includes("/offline"), `the offline page is not precached: ${shellURLs}`);
  assert.ok(shellURLs.some((u) => /^\/static\/app\.[0-9a-f]{8}\.css$/.test(u)), `the CSS is not precached: ${shellURLs}`);

  at("browse and buy online");
  await page.goto(base + "/p/linen-shirt"); // sets the CSRF cookie: not kept
  await page.goto(base + "/c/goods");
  await waitKept("/c/goods");
  const keptBefore = await keptNumber("/c/goods");
  await page.goto(base + "/p/ceramic-mug");
  await page.locator("#add-to-cart").click();
  await page.waitForURL(/\/cart\?done=added/);
  await page.locator(".cart-line", { hasText: "Ceramic mug" }).waitFor();

  at("online: after a change kept pages are fetched first, then shown at once and refreshed behind");
  const fresh = number(await page.goto(base + "/c/goods"));
  assert.ok(fresh > keptBefore, `after adding to the cart the kept copy (${keptBefore}) was shown, not a fresh page (${fresh})`);
  assert.match(await page.locator("#cart-count").innerText(), /^1\b/, "the header's cart count is stale");
  await until("the fresh copy is kept", (p) => caches.match(location.origin + p).then((r) => r && r.headers.get("Test-Response")), "/c/goods");
  assert.equal(await keptNumber("/c/goods"), fresh);
  const again = number(await page.goto(base + "/c/goods"));
  assert.equal(again, fresh, "a kept page was not shown at once (stale-while-revalidate)");
  await until("the kept copy is refreshed behind the page", async ([p, n]) => {
    const r = await caches.match(location.origin + p);
    return r && Number(r.headers.get("Test-Response")) > n;
  }, ["/c/goods", fresh]);
  await page.goto(base + "/p/linen-shirt");
  await waitKept("/p/linen-shirt");
  await page.goto(base + "/p/wool-throw");
  await waitKept("/p/wool-throw");
  const kept = await keptPaths();
  assert.ok(kept.every((p) => p === "/" || /^\/(c|p)\/[^/]+$/.test(p)), `a page that is not public was kept: ${kept}`);

  at("offline: the banner, kept pages and the offline page");
  await context.setOffline(true);
  await page.locator("#net-banner", { hasText: "You’re offline" }).waitFor();
  await page.goto(base + "/c/goods");
  assert.equal(await page.locator("h1").innerText(), "Goods");
  await page.locator("#net-banner", { hasText: "You’re offline" }).waitFor();
  assert.ok(await page.locator("main a[href='/p/linen-shirt']").count() > 0, "the kept category page lists no products");
  const styled = await page.evaluate(() => getComputedStyle(document.querySelector(".site-header")).display !== "inline");
  assert.ok(styled, "the kept page has no CSS offline");
  await page.goto(base + "/cart"); // personal: never kept
  assert.equal(await page.locator("h1").innerText(), "You’re offline");
  await page.locator("#offline-recent a[href='/p/linen-shirt']", { hasText: "Linen shirt" }).waitFor();
  await page.locator("#offline-cart", { hasText: "Ceramic mug" }).waitFor();
  await page.goto(base + "/checkout");
  assert.equal(await page.locator("h1").innerText(), "You’re offline");

  at("offline: add to cart is kept");
  await page.goto(base + "/p/linen-shirt");
  await page.locator("label", { hasText: /^M$/ }).first().click();
  await page.locator("#add-to-cart").click();
  await page.waitForURL(/\/offline\?queued=1/);
  await page.locator("#offline-queue-list li", { hasText: "Linen shirt (size: M) × 1" }).waitFor();
  // One more than the shop has: kept too, refused when sent.
  await page.goto(base + "/p/wool-throw");
  await page.locator("#quantity").fill("2");
  await page.locator("#add-to-cart").click();
  await page.waitForURL(/\/offline\?queued=1/);
  await page.locator("#offline-queue-list li", { hasText: "Wool throw × 2" }).waitFor();
  assert.equal(await page.locator("#offline-queue-list li").count(), 2);

  at("back online: the add is sent and the cart has it");
  // As if the browser had been closed meanwhile: the CSRF cookie (a
  // session cookie) is gone, so the kept form's token is refused and a
  // fresh one must be fetched.
  await context.clearCookies({ name: "__Host-ocean_csrf" });
  await context.setOffline(false);
  await page.locator("#net-banner", { hasText: "Added to your cart: Linen shirt (size: M) × 1" }).waitFor();
  assert.match(await page.locator("#net-banner").innerText(), /Couldn’t add Wool throw × 2: Only 1 of Wool throw left\./);
  await page.locator("#offline-queue").waitFor({ state: "hidden" }); // nothing waits any more
  assert.match(await page.locator("#cart-count").innerText(), /^2\b/);
  await page.goto(base + "/cart");
  await page.locator(".cart-line", { hasText: "Linen shirt" }).waitFor();
  await page.locator(".cart-line", { hasText: "Ceramic mug" }).waitFor();
  assert.equal(await page.evaluate(async () => (await (await caches.open("ocean-outbox")).keys())
    .filter((r) => r.url.includes("/__ocean/outbox/")).length), 0, "the sent add is still waiting");

  at("a new deploy's worker takes over and deletes the old caches");
  const before = await cacheNames();
  const res = await fetch(base + "/__test/deploy", { method: "POST" });
  assert.equal(res.status, 204);
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  await until("the new worker has its shell and the old one's is gone", (old) => caches.keys().then((names) =>
    names.some((n) => n.startsWith("ocean-shell-") && n !== old) && !names.includes(old)), shell);
  const after = await cacheNames();
  const stale = after.filter((n) => before.includes(n) && n !== "ocean-outbox");
  assert.deepEqual(stale, [], `caches of the old worker are left: ${after}`);
  await page.goto(base + "/p/ceramic-mug");
  await waitKept("/p/ceramic-mug");
  assert.deepEqual(problems, [], "the pages logged errors (CSP violations, script errors)");
  console.log(`ok - offline journey (${size}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
} catch (e) {
  console.log(`not ok - offline journey (${size}), at "${step}"\n  ${String(e.stack || e).split("\n").join("\n  ")}`);
  if (problems.length) console.log(`  console: ${problems.join("\n  ")}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
