// Set-up shared by the page-level browser checks (lighthouse.mjs,
// pages.mjs): a photo on a demo product, a cart with it, a signed-in
// customer. Against a fresh shop with the demo catalog and the given admin.
import { chromium } from "playwright-core";
import { PNG } from "pngjs";

export const chromePath = process.env.CHROMIUM || "/usr/bin/chromium";

// The local CA is in neither Node's nor Chromium's store: the Go tests that
// run these scripts check the certificate; here it is the pages under test.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
process.removeAllListeners("warning");

export function api(base) {
  return async (method, path, { token, body, form } = {}) => {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body) headers["Content-Type"] = "application/json";
    const res = await fetch(base + path, { method, headers, body: form || (body && JSON.stringify(body)) });
    const text = await res.text();
    if (!res.ok) {
      const err = new Error(`${method} ${path}: ${res.status} ${text}`);
      err.status = res.status;
      throw err;
    }
    return text ? JSON.parse(text) : null;
  };
}

// photo draws a 1600x1200 picture with the texture of a photograph (smooth
// light, a subject, sensor noise) so the WebP the shop makes of it weighs
// what a real product photo would. The same bytes every time.
export function photo() {
  const w = 1600, h = 1200, png = new PNG({ width: w, height: h });
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 17) - 8;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const dx = x - w * 0.55, dy = y - h * 0.5;
      const subject = dx * dx / (380 * 380) + dy * dy / (300 * 300) < 1;
      const light = 1 - (x + y) / (w + h) * 0.45;
      const [r, g, b] = subject ? [150 + 60 * Math.sin(x / 40), 90 + 30 * Math.cos(y / 55), 70] : [225, 220, 210];
      png.data[i] = Math.max(0, Math.min(255, r * light + noise()));
      png.data[i + 1] = Math.max(0, Math.min(255, g * light + noise()));
      png.data[i + 2] = Math.max(0, Math.min(255, b * light + noise()));
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

export const customer = { email: "lindiwe@example.com", password: "a long passphrase for page checks", name: "Lindiwe Mokoena" };

// prepare gives the first demo product in stock a photo (once), puts it in a
// cart and signs the customer in (registering her the first time). It
// returns the product, the first category's path and the browser cookies
// (cart and session) as a Cookie header.
export async function prepare(base, adminEmail, adminPassword) {
  const call = api(base);
  const { access_token: token } = await call("POST", "/api/v1/auth/login", { body: { email: adminEmail, password: adminPassword } });
  const product = (await call("GET", "/api/v1/products?in_stock=true&limit=1")).items[0];
  const detail = await call("GET", `/api/v1/products/${product.slug}`);
  if (!(detail.images || []).some((i) => /\/media\//.test(i.url))) {
    const form = new FormData();
    form.append("file", new Blob([photo()], { type: "image/png" }), "studio-shot.png");
    form.append("alt", `${product.name}, photographed in the studio`);
    await call("POST", `/api/v1/admin/products/${product.id}/images`, { token, form });
  }
  try {
    await call("POST", "/api/v1/auth/register", { body: customer });
  } catch (e) {
    if (e.status !== 409) throw e;
  }
  const browser = await chromium.launch({ executablePath: chromePath, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${base}/p/${product.slug}`);
    await page.getByRole("button", { name: "Add to cart" }).click();
    await page.waitForURL(/\/cart\?done=added/);
    await page.goto(`${base}/account/signin`);
    await page.getByLabel("Email").fill(customer.email);
    await page.getByLabel("Password").fill(customer.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/account/signin"));
    const cookies = await context.cookies();
    await page.goto(base + "/");
    const category = await page.locator('main a[href^="/c/"]').first().getAttribute("href");
    return { product, category, cookies, cookie: cookies.map((c) => `${c.name}=${c.value}`).join("; "), token };
  } finally {
    await browser.close();
  }
}

// pages are the kinds of page a shopper meets; `personal` ones need the
// cart and session cookies.
export function pages({ product, category }) {
  return [
    { name: "home", path: "/" },
    { name: "category", path: category },
    { name: "search", path: "/search?q=merino" },
    { name: "product", path: `/p/${product.slug}` },
    { name: "cart", path: "/cart", personal: true },
    { name: "checkout", path: "/checkout", personal: true },
    { name: "sign-in", path: "/account/signin" },
    { name: "account", path: "/account", personal: true },
  ];
}
