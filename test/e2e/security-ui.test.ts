// The security pages in Chromium: an admin creates a user, turns on two-factor sign-in and signs
// in with a code, creates an API key that then works, and finds it all in the audit log; a phone
// screen shows the same pages without sideways scrolling.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { totpCode } from "../../server/auth/totp";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";
import { graphqlClient } from "../harness/client";

let browser: Browser;
let server: TestApp;
beforeAll(async () => {
  browser = await launchChromium();
  server = await startTestApp();
});
afterAll(async () => {
  await browser.close();
  await server.stop();
});

async function signIn(page: Page, password: string, code?: () => string, username = "admin") {
  await page.goto(`${server.url}/login`);
  await page.getByTestId("login-username").fill(username);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
  if (code) {
    await page.getByTestId("login-totp").waitFor();
    await page.getByTestId("login-totp").fill(code());
    await page.getByTestId("login-submit").click();
  }
  await page.getByTestId("current-user").waitFor({ timeout: 10_000 });
}

const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

test("an admin manages a user, two-factor sign-in and an API key, and sees it in the audit log", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await signIn(page, ADMIN_PASSWORD);

  // Users: create an operator.
  await page.getByTestId("nav-users").click();
  await page.getByTestId("user-new-username").fill("olivia");
  await page.getByTestId("user-new-password").fill("olivia-password");
  await page.getByTestId("user-new-role").selectOption("operator");
  await page.getByTestId("user-new-submit").click();
  await page.locator('[data-testid="user-row"][data-username="olivia"][data-role="operator"]').waitFor();
  expect((await server.signIn("olivia", "olivia-password")).accessToken).toBeTruthy();

  // Account: two-factor on, confirmed with a code from the shown secret.
  await page.getByTestId("nav-account").click();
  await page.getByTestId("totp-enable").click();
  const secret = ((await page.getByTestId("totp-secret").textContent()) ?? "").replace(/\s/g, "");
  await page.getByTestId("totp-code").fill(totpCode(secret, Date.now()));
  await page.getByTestId("totp-confirm").click();
  await page.getByTestId("recovery-codes").waitFor();
  const recoveryCodes = (await page.getByTestId("recovery-codes").locator("li").allTextContents()).map((c) => c.trim());
  expect(recoveryCodes.filter((c) => /^[0-9a-z]{4}-[0-9a-z]{4}$/.test(c)).length).toBe(10);

  // Account: an API key, whose secret is shown once and works.
  await page.getByTestId("apikey-name").fill("backup script");
  await page.locator('[data-testid="apikey-scope"][data-scope="kv:read"]').check();
  await page.getByTestId("apikey-create").click();
  await page.getByTestId("apikey-secret").waitFor();
  const keySecret = (await page.getByTestId("apikey-secret").inputValue()).trim();
  expect(await graphqlClient(server.url, keySecret).data("{ me { username } }")).toEqual({ me: { username: "admin" } });

  // Signing in again now asks for a code (the next one: each code works once).
  await page.getByTestId("signout").click();
  await page.getByTestId("login-username").waitFor();
  await signIn(page, ADMIN_PASSWORD, () => totpCode(secret, Date.now() + 30_000));

  // Audit: the user creation and the key are there, with the admin as actor.
  await page.getByTestId("nav-audit").click();
  await page.getByTestId("audit-row").filter({ hasText: "mutation.createUser" }).waitFor();
  await page.getByTestId("audit-row").filter({ hasText: "mutation.createApiKey" }).waitFor();
  expect(await page.getByTestId("audit-row").filter({ hasText: "mutation.createUser" }).first().textContent()).toContain("admin");
  expect(pageErrors).toEqual([]);
  await context.close();
});

test("on a phone the users, account and audit pages fit the screen", async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await context.newPage();
  await server.app.services.users.create({ username: "pocket", password: "pocket-password", role: "admin" });
  await signIn(page, "pocket-password", undefined, "pocket");

  for (const path of ["/users", "/account", "/audit"]) {
    await page.goto(`${server.url}${path}`);
    await page.getByTestId("current-user").waitFor();
    await page.waitForLoadState("networkidle");
    expect({ path, fits: await fitsWidth(page) }).toEqual({ path, fits: true });
  }
  await context.close();
});
