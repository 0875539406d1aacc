// Every kind of storefront page a shopper meets (shop.mjs: home, category,
// search, product with a photo, cart, checkout, sign-in, account), plus a
// guest's empty cart and the 404 page, on a 390x844 phone and a 1280x800 desktop, in Debian's Chromium:
//   - axe-core (WCAG 2.1 A and AA rules): no serious or critical violation;
//   - visual regression: a full-page screenshot compared with the committed
//     baseline in e2e/baselines/ (pixelmatch; a pixel counts as changed past
//     a colour distance of 0.1, and a page fails when more than 0.3% of its
//     pixels changed or its size did). Parts that differ between runs by
//     design (the signed-in customer's session details, times) are masked.
// Usage: node pages.mjs https://localhost:PORT ADMIN_EMAIL ADMIN_PASSWORD
// With UPDATE_BASELINES=1 (make baselines) it writes the baselines instead of
// comparing. Differences are written to e2e/baselines/diff/ for a look.
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";
import pixelmatch from "pixelmatch";
import { PNG } from "pngjs";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { chromePath, prepare, pages as shopPages } from "./shop.mjs";

const [base, adminEmail, adminPassword] = process.argv.slice(2);
if (!base || !adminEmail || !adminPassword) {
  console.error("usage: node pages.mjs BASE_URL ADMIN_EMAIL ADMIN_PASSWORD");
  process.exit(2);
}
const update = process.env.UPDATE_BASELINES === "1";
const dir = new URL("./baselines/", import.meta.url).pathname;
mkdirSync(dir + "diff", { recursive: true });
const maxChanged = 0.003;

const shop = await prepare(base, adminEmail, adminPassword);
const pages = [...shopPages(shop), { name: "empty-cart", path: "/cart", guest: true }, { name: "not-found", path: "/no-such-page" }];
const viewports = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 },
  desktop: { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 },
};

const browser = await chromium.launch({
  executablePath: chromePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--font-render-hinting=none", "--disable-lcd-text", "--force-color-profile=srgb", "--hide-scrollbars"],
});
let failed = 0, shots = 0, violations = 0;
for (const [size, options] of Object.entries(viewports)) {
  const context = await browser.newContext({ ...options, ignoreHTTPSErrors: true, reducedMotion: "reduce", locale: "en-ZA", timezoneId: "Africa/Johannesburg" });
  await context.addCookies(shop.cookies);
  for (const { name, path, guest } of pages) {
    const label = `${name} (${size})`;
    if (guest) await context.clearCookies();
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(String(e)));
    try {
      await page.goto(base + path, { waitUntil: "load" });
      await page.evaluate(() => document.fonts.ready);
      // What the page renders only near the viewport (content-visibility:
      // auto: cards after the first rows, later sections, the footer) is
      // rendered as a shopper scrolling through it sees it: a full-page
      // screenshot would show the stand-in sizes instead. (A constructed
      // sheet: the shop's CSP refuses inline styles.)
      await page.evaluate(() => {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync("* { content-visibility: visible !important; }");
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      });
      // Lazy images below the fold load when scrolled to; a full-page
      // screenshot needs them all, decoded.
      await page.evaluate(async () => {
        for (const img of document.images) img.loading = "eager";
        await Promise.all([...document.images].map((img) => (img.complete ? null : new Promise((r) => { img.onload = img.onerror = r; }))));
      });
      const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
      for (const v of axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
        violations++;
        problems.push(`axe ${v.impact}: ${v.id} (${v.help}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
      }
      const mask = [page.locator("time"), page.locator("[data-dynamic]")];
      const png = await page.screenshot({ fullPage: true, animations: "disabled", caret: "hide", mask, maskColor: "#888" });
      shots++;
      const file = `${dir}${size}-${name}.png`;
      if (update || !existsSync(file)) {
        if (!update) problems.push(`no baseline ${file}: run make baselines and commit it`);
        writeFileSync(file, png);
      } else {
        const want = PNG.sync.read(readFileSync(file)), got = PNG.sync.read(png);
        if (want.width !== got.width || want.height !== got.height) {
          problems.push(`the page is ${got.width}x${got.height}, the baseline ${want.width}x${want.height}`);
          writeFileSync(`${dir}diff/${size}-${name}.png`, png);
        } else {
          const diff = new PNG({ width: got.width, height: got.height });
          const changed = pixelmatch(want.data, got.data, diff.data, got.width, got.height, { threshold: 0.1 });
          const share = changed / (got.width * got.height);
          if (share > maxChanged) {
            problems.push(`${(share * 100).toFixed(2)}% of the pixels changed (${changed}); diff in ${dir}diff/${size}-${name}.png`);
            writeFileSync(`${dir}diff/${size}-${name}.png`, PNG.sync.write(diff));
          }
        }
      }
    } catch (e) {
      problems.push(String(e.stack || e));
    } finally {
      await page.close();
      if (guest) await context.addCookies(shop.cookies);
    }
    if (problems.length) failed++;
    console.log(`${problems.length ? "not ok" : "ok"} - ${label}${problems.length ? "\n  " + problems.join("\n  ") : ""}`);
  }
  await context.close();
}
await browser.close();
console.log(`${pages.length} pages x ${Object.keys(viewports).length} viewports: ${shots} screenshots${update ? " written as baselines" : " compared"}, ${violations} serious or critical axe violations`);
process.exit(failed ? 1 : 0);
