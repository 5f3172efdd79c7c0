// The security pages in Chromium: an admin creates a user, turns on two-factor sign-in (after the
// password) and signs in with a code, creates an API key (after the password) that then works, and
// finds it all in the audit log; an admin removes a user's second factor (after confirming), alone
// or with a new password; "sign out everywhere" can take the API keys along; the keys list pages;
// a phone screen shows the same pages and controls without sideways scrolling.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { totpCode } from "../../server/auth/totp";
import type { SignedInViewer } from "../../server/auth/viewer";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";
import { codes, type GraphqlClient, graphqlClient } from "../harness/client";

let browser: Browser;
let server: TestApp;
beforeAll(async () => {
  browser = await launchChromium();
  server = await startTestApp({ config: { rateLimitAuthPerMinute: 10_000 } });
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

/** Creates `username` (password `<username>-password`) with two-factor sign-in on, through the API. */
async function userWithTotp(username: string, role: "admin" | "operator" | "viewer" = "viewer") {
  const password = `${username}-password`;
  const user = await server.app.services.users.create({ username, password, role });
  const client: GraphqlClient = await server.signIn(username, password);
  const { beginTotpSetup } = await client.data<{ beginTotpSetup: { secret: string } }>(
    "mutation ($p: String!) { beginTotpSetup(password: $p) { secret } }",
    { p: password },
  );
  await client.data("mutation ($c: String!) { confirmTotpSetup(code: $c) { recoveryCodes } }", {
    c: totpCode(beginTotpSetup.secret, Date.now()),
  });
  return { id: user.id, password };
}

/** Whether `username` can sign in with the password alone (no second factor asked). */
async function signsInWithPasswordAlone(username: string, password: string) {
  const result = await server.anonymous.request(
    "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }",
    {
      u: username,
      p: password,
    },
  );
  return codes(result).length === 0;
}

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

  // Account: two-factor on after the password (a wrong one is refused and says so), confirmed with
  // a code from the shown secret.
  await page.getByTestId("nav-account").click();
  expect(await page.getByTestId("totp-enable").isDisabled()).toBe(true);
  await page.getByTestId("totp-enable-password").fill("not-the-password");
  await page.getByTestId("totp-enable").click();
  await page.getByTestId("account-totp").getByTestId("error").filter({ hasText: "current password" }).waitFor();
  await page.getByTestId("totp-enable-password").fill(ADMIN_PASSWORD);
  expect(await page.getByTestId("account-totp").getByTestId("error").count()).toBe(0);
  await page.getByTestId("totp-enable").click();
  const secret = ((await page.getByTestId("totp-secret").textContent()) ?? "").replace(/\s/g, "");
  await page.getByTestId("totp-code").fill(totpCode(secret, Date.now()));
  await page.getByTestId("totp-confirm").click();
  await page.getByTestId("recovery-codes").waitFor();
  const recoveryCodes = (await page.getByTestId("recovery-codes").locator("li").allTextContents()).map((c) => c.trim());
  expect(recoveryCodes.filter((c) => /^[0-9a-z]{4}-[0-9a-z]{4}$/.test(c)).length).toBe(10);

  // Account: an API key after the password, whose secret is shown once and works.
  await page.getByTestId("apikey-name").fill("backup script");
  await page.locator('[data-testid="apikey-scope"][data-scope="kv:read"]').check();
  await page.getByTestId("apikey-create").click();
  await page.getByTestId("account-apikeys").getByTestId("field-problem").filter({ hasText: "current password" }).waitFor();
  await page.getByTestId("apikey-password").fill(ADMIN_PASSWORD);
  await page.getByTestId("apikey-create").click();
  await page.getByTestId("apikey-secret").waitFor();
  const keySecret = (await page.getByTestId("apikey-secret").inputValue()).trim();
  expect(await graphqlClient(server.url, keySecret).data("{ me { username } }")).toEqual({ me: { username: "admin" } });
  expect(await page.getByTestId("apikey-password").inputValue()).toBe("");

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

for (const [size, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 375, height: 740 }],
] as const) {
  test(`on a ${size} screen an admin removes a user's two-factor sign-in, alone or with a new password`, async () => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    const lost = await userWithTotp(`lost-${size}`);
    const reset = await userWithTotp(`reset-${size}`);
    await server.app.services.users.create({ username: `warden-${size}`, password: `warden-${size}-password`, role: "admin" });
    await signIn(page, `warden-${size}-password`, undefined, `warden-${size}`);
    await page.goto(`${server.url}/users`);

    // The admin's own row offers neither: that is Account's business, with the password.
    const own = page.locator(`[data-testid="user-row"][data-username="warden-${size}"]`);
    await own.waitFor();
    expect(await own.getByTestId("user-reset-password").count()).toBe(0);
    expect(await own.getByTestId("user-remove-totp").count()).toBe(0);

    // Removing it alone asks first; declining changes nothing.
    const lostRow = page.locator(`[data-testid="user-row"][data-username="lost-${size}"]`);
    expect(await lostRow.getByTestId("user-totp").textContent()).toBe("on");
    await lostRow.getByTestId("user-remove-totp").click();
    await page.getByTestId("confirm-cancel").click();
    expect(await lostRow.getByTestId("user-totp").textContent()).toBe("on");
    await lostRow.getByTestId("user-remove-totp").click();
    await page
      .getByTestId("confirm-dialog")
      .filter({ hasText: `lost-${size}` })
      .waitFor();
    await page.getByTestId("confirm-accept").click();
    await lostRow.getByTestId("success").filter({ hasText: "password alone" }).waitFor();
    expect(await lostRow.getByTestId("user-totp").textContent()).toBe("off");
    expect(await lostRow.getByTestId("user-remove-totp").count()).toBe(0);
    expect(await signsInWithPasswordAlone(`lost-${size}`, lost.password)).toBe(true);

    // The new-password form offers removing it as well.
    const resetRow = page.locator(`[data-testid="user-row"][data-username="reset-${size}"]`);
    await resetRow.getByTestId("user-reset-password").click();
    await resetRow.getByTestId("user-reset-password-input").fill(`reset-${size}-new-password`);
    await resetRow.getByTestId("user-reset-remove-totp").check();
    expect({ size, fits: await fitsWidth(page) }).toEqual({ size, fits: true });
    await resetRow.getByTestId("user-reset-password-submit").click();
    await page.getByTestId("confirm-accept").click();
    await resetRow.getByTestId("success").filter({ hasText: "two-factor sign-in removed" }).waitFor();
    expect(await resetRow.getByTestId("user-totp").textContent()).toBe("off");
    expect(await signsInWithPasswordAlone(`reset-${size}`, `reset-${size}-new-password`)).toBe(true);
    expect(await signsInWithPasswordAlone(`reset-${size}`, reset.password)).toBe(false);

    expect({ size, fits: await fitsWidth(page) }).toEqual({ size, fits: true });
    expect(pageErrors).toEqual([]);
    await context.close();
  });
}

test("sign out everywhere, also revoking my API keys; the keys list comes a page at a time", async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await context.newPage();
  const user = await server.app.services.users.create({ username: "quinn", password: "quinn-password", role: "operator" });
  // Many old keys, made through the service (each through the API would cost a password check).
  const viewer: SignedInViewer = {
    kind: "user",
    userId: user.id,
    username: "quinn",
    role: "operator",
    permissions: new Set(),
    sessionId: "e2e",
    tokenExpiresAtMs: Date.now() + 60_000,
  };
  for (let i = 0; i < 50; i++) server.app.services.apiKeys.create(viewer, { name: `old ${i}`, scopes: ["read"] });
  server.app.services.apiKeys.revokeAllOf(user.id);
  const kept = graphqlClient(server.url, server.app.services.apiKeys.create(viewer, { name: "cron job", scopes: ["read"] }).secret);
  await signIn(page, "quinn-password", undefined, "quinn");
  await page.goto(`${server.url}/account`);

  // 51 keys: the first page shows 50, "Load more" the rest.
  await page.getByTestId("apikey-load-more").waitFor();
  expect(await page.getByTestId("apikey-row").count()).toBe(50);
  await page.getByTestId("apikey-load-more").click();
  await page.getByTestId("apikey-row").nth(50).waitFor();
  expect(await page.getByTestId("apikey-row").count()).toBe(51);
  expect(await page.getByTestId("apikey-load-more").count()).toBe(0);
  expect(await page.locator('[data-testid="apikey-row"][data-name="cron job"]').count()).toBe(1);
  expect(await fitsWidth(page)).toBe(true);

  await page.getByTestId("sessions-include-keys").check();
  expect(await fitsWidth(page)).toBe(true);
  await page.getByTestId("sessions-revoke-all").click();
  await page.getByTestId("confirm-accept").click();
  await page.getByTestId("login-username").waitFor();
  expect(codes(await kept.request("{ me { username } }"))).toEqual(["UNAUTHENTICATED"]);
  await context.close();
});

test("on a phone the users, account and audit pages fit the screen", async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await context.newPage();
  await server.app.services.users.create({ username: "pocket", password: "pocket-password", role: "admin" });
  await userWithTotp("pocket-2fa");
  await signIn(page, "pocket-password", undefined, "pocket");

  for (const path of ["/users", "/account", "/audit"]) {
    await page.goto(`${server.url}${path}`);
    await page.getByTestId("current-user").waitFor();
    await page.waitForLoadState("networkidle");
    expect({ path, fits: await fitsWidth(page) }).toEqual({ path, fits: true });
  }
  // The new controls of the account page are there, and fit.
  await page.goto(`${server.url}/account`);
  for (const testId of ["totp-enable-password", "apikey-password", "sessions-include-keys"]) await page.getByTestId(testId).waitFor();
  expect(await fitsWidth(page)).toBe(true);
  await context.close();
});

test("GraphiQL: an admin opens it from the navigation, sent compressed; the link fits a phone; others have no link", async () => {
  // Its own admin: the seeded one has two-factor sign-in on once the first test has run.
  await server.app.services.users.create({ username: "gail", password: "gail-password", role: "admin" });
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const onPhone = await phone.newPage();
  await signIn(onPhone, "gail-password", undefined, "gail");
  await onPhone.getByTestId("nav-graphiql").waitFor();
  expect(await fitsWidth(onPhone)).toBe(true);
  await phone.close();

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await signIn(page, "gail-password", undefined, "gail");
  const introspection = page.waitForResponse(
    (response) => response.request().method() === "POST" && (response.request().postData() ?? "").includes("__schema"),
    { timeout: 60_000 },
  );
  const [graphiql] = await Promise.all([
    page.waitForResponse((response) => response.url() === `${server.url}/graphql` && response.request().method() === "GET"),
    page.getByTestId("nav-graphiql").click(),
  ]);
  expect(graphiql.status()).toBe(200);
  expect(graphiql.headers()["content-encoding"]).toBe("br");
  // GraphiQL ran (its scripts and workers allowed by the page's policy) and read the schema.
  expect(((await (await introspection).json()) as { data?: { __schema?: unknown } }).data?.__schema).toBeDefined();
  expect(pageErrors).toEqual([]);
  await context.close();

  const viewerContext = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const asViewer = await viewerContext.newPage();
  await server.app.services.users.create({ username: "vera", password: "vera-password", role: "viewer" });
  await signIn(asViewer, "vera-password", undefined, "vera");
  await asViewer.getByTestId("nav-account").waitFor();
  expect(await asViewer.getByTestId("nav-graphiql").count()).toBe(0);
  await viewerContext.close();
}, 180_000);
