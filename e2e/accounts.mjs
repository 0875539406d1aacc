// Browser tests for accounts: what a shopper and a shop owner see and do,
// in Debian's Chromium driven by playwright-core. Usage:
//   node accounts.mjs https://localhost:PORT ADMIN_EMAIL ADMIN_PASSWORD
// Run by internal/cli's TestBrowserAccounts against the real server over
// HTTPS (the session cookie is __Host-, so Secure). Exits non-zero on the
// first failed check.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [base, adminEmail, adminPassword] = process.argv.slice(2);
if (!base || !adminPassword) {
  console.error("usage: node accounts.mjs BASE_URL ADMIN_EMAIL ADMIN_PASSWORD");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic"],
});
// The local CA is not in Chromium's store; the Go test checks the certificate itself.
const options = { viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true };
let failed = 0;

async function check(name, fn) {
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

const email = `shopper-${Date.now()}@example.com`;
const password = "tidal pools at dawn";

await check("a shopper registers, keeps an address book, signs out and back in", async (page, context) => {
  await page.goto(base + "/");
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.getByRole("link", { name: /create an account|register/i }).first().click();
  await page.getByLabel("Your name").fill("Naledi Mokoena");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill("password1"); // a common one: refused, with the reason
  await page.getByRole("button", { name: "Create account" }).click();
  assert.match(await page.locator(".field-error, [role=alert]").first().innerText(), /common/i);
  assert.equal(await page.getByLabel("Email address").inputValue(), email, "the form forgot what was typed");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  // The same answer for a new address and a taken one: no sign-in yet.
  await page.waitForURL(/\/account\/register\?sent=1/);
  assert.match(await page.locator("[role=status]").innerText(), /sent a message/i);
  await page.getByRole("link", { name: "Sign in" }).last().click();
  await page.waitForURL(/\/account\/signin/);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/account(\?|$)/);
  assert.match(await page.locator("h1").innerText(), /Naledi/);

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "__Host-ocean_session");
  assert.ok(session, "no session cookie");
  assert.ok(session.secure && session.httpOnly && session.sameSite === "Lax" && session.path === "/", JSON.stringify(session));

  await page.getByLabel("Recipient name").fill("Naledi Mokoena");
  await page.getByLabel("Street and number").fill("7 Protea Lane");
  await page.getByLabel("City").fill("Bloemfontein");
  await page.getByLabel("Country", { exact: true }).selectOption("ZA");
  await page.getByRole("button", { name: "Add address" }).click();
  await page.waitForLoadState();
  assert.match(await page.locator("#addresses").innerText(), /7 Protea Lane/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForLoadState();
  await page.goto(base + "/account");
  await page.waitForURL(/\/account\/signin/);

  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill("not my password");
  await page.getByRole("button", { name: "Sign in" }).click();
  assert.match(await page.locator("[role=alert]").first().innerText(), /email address or password is wrong/i);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/account(\?|$)/);
  assert.match(await page.locator("#addresses").innerText(), /7 Protea Lane/);
  const again = (await context.cookies()).find((c) => c.name === "__Host-ocean_session");
  assert.notEqual(again.value, session.value, "sign-in reused the old session id");
});

await check("the account forms work from the keyboard alone", async (page) => {
  await page.goto(base + "/account/signin");
  await page.getByLabel("Email address").focus();
  await page.keyboard.type(email);
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/account(\?|$)/);
  assert.match(await page.locator("h1").innerText(), /Naledi/);
});

await check("the owner signs in, sees the shopper's sign-up in the security log and reads the mailbox", async (page) => {
  await page.goto(base + "/account/forgot");
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: /send|reset/i }).first().click();
  await page.waitForLoadState();

  await page.goto(base + "/account/signin");
  await page.getByLabel("Email address").fill(adminEmail);
  await page.getByLabel("Password").fill(adminPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/account(\?|$)/);
  await page.getByRole("link", { name: "Admin" }).first().click();
  await page.getByRole("link", { name: "Security log", exact: true }).click();
  const log = await page.locator("main").innerText();
  assert.match(log, /account\.register|register/i);
  assert.match(log, /signin\.failure|fail/i);
  assert.doesNotMatch(log, /tidal pools/, "a password reached the security log");
  await page.getByRole("link", { name: "Mailbox", exact: true }).click();
  assert.match(await page.locator("main").innerText(), /Reset your password/);
});

await check("a shopper cannot open the admin", async (page) => {
  await page.goto(base + "/account/signin");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/account(\?|$)/);
  const res = await page.goto(base + "/admin");
  assert.equal(res.status(), 404);
});

await browser.close();
process.exit(failed ? 1 : 0);
