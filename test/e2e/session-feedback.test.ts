// What a person sees when their session or rights change elsewhere, in Chromium: a role change
// reaches the open page without a reload (navigation and actions follow the new role); a session
// ended from another device, or an account disabled, signs the page out with a sentence saying
// why; irreversible actions ask first (cancel keeps the thing, confirm removes it); forms name every
// problem at once; a setup link opened again says setup is done.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";

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

const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

/** A page of a new browser context (its own cookies: another device), with the page's script errors collected. */
async function device(viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  return { context, page, pageErrors };
}

async function signIn(page: Page, username: string, password: string) {
  await page.goto(`${server.url}/login`);
  await page.getByTestId("login-username").fill(username);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("current-user").waitFor({ timeout: 10_000 });
}

/** Creates a user through the service; their password is `<username>-password`. */
async function user(username: string, role: "admin" | "operator" | "viewer") {
  const password = `${username}-password`;
  const { id } = await server.app.services.users.create({ username, password, role });
  return { id, username, password };
}

/** Marks the page's window, so `stillSamePage` can tell that it was not reloaded since. */
const markPage = (page: Page) => page.evaluate(() => Object.assign(window, { notReloaded: true }));
const stillSamePage = (page: Page) => page.evaluate(() => (window as { notReloaded?: boolean }).notReloaded === true);

const userRow = (page: Page, username: string) => page.locator(`[data-testid="user-row"][data-username="${username}"]`);

describe("a role change reaches the open page without a reload", () => {
  test("an admin demotes an operator in another browser: the operator's page loses the actions of operators", async () => {
    const otto = await user("otto", "operator");
    const operator = await device();
    await signIn(operator.page, otto.username, otto.password);
    await operator.page.goto(`${server.url}/data`);
    await operator.page.getByTestId("kv-new-key").waitFor();
    await markPage(operator.page);

    const admin = await device();
    await signIn(admin.page, "admin", ADMIN_PASSWORD);
    await admin.page.goto(`${server.url}/users`);
    const row = userRow(admin.page, "otto");
    // Changing a role asks first; cancelling leaves the role as it was.
    await row.getByTestId("user-role").selectOption("viewer");
    await admin.page.getByTestId("confirm-dialog").filter({ hasText: "Make otto a viewer?" }).waitFor();
    await admin.page.getByTestId("confirm-cancel").click();
    expect(await row.getByTestId("user-role").inputValue()).toBe("operator");
    expect(await operator.page.getByTestId("kv-new-key").count()).toBe(1);

    await row.getByTestId("user-role").selectOption("viewer");
    await admin.page.getByTestId("confirm-accept").click();
    await row.getByTestId("success").filter({ hasText: "Role changed to viewer." }).waitFor();

    // The operator's open page follows: read-only now, the header says so, no reload.
    await operator.page.getByTestId("kv-new-key").waitFor({ state: "detached", timeout: 5_000 });
    await operator.page.getByTestId("current-user").filter({ hasText: "viewer" }).waitFor();
    expect(await stillSamePage(operator.page)).toBe(true);
    expect(await operator.page.getByTestId("signed-out-reason").count()).toBe(0);
    expect([...operator.pageErrors, ...admin.pageErrors]).toEqual([]);
    await operator.context.close();
    await admin.context.close();
  });

  test("a demoted admin loses the admin pages from the navigation, and the open admin page", async () => {
    const ada = await user("ada", "admin");
    const demoted = await device(PHONE);
    await signIn(demoted.page, ada.username, ada.password);
    await demoted.page.goto(`${server.url}/users`);
    await userRow(demoted.page, "ada").waitFor();
    await demoted.page.getByTestId("nav-audit").waitFor();
    await markPage(demoted.page);

    await (await server.admin()).data("mutation ($id: ID!) { setUserRole(id: $id, role: operator) { role } }", { id: ada.id });

    await demoted.page.getByTestId("nav-users").waitFor({ state: "detached", timeout: 5_000 });
    expect(await demoted.page.getByTestId("nav-audit").count()).toBe(0);
    await demoted.page.getByTestId("not-allowed").waitFor();
    await demoted.page.getByTestId("current-user").filter({ hasText: "operator" }).waitFor();
    expect(await stillSamePage(demoted.page)).toBe(true);
    // Still signed in: the operator's own pages work on.
    await demoted.page.getByTestId("nav-account").click();
    await demoted.page.getByTestId("account-sessions").waitFor();
    expect(await fitsWidth(demoted.page)).toBe(true);
    expect(demoted.pageErrors).toEqual([]);
    await demoted.context.close();
  });
});

describe("a page signed out from elsewhere says why", () => {
  for (const viewport of [DESKTOP, PHONE])
    test(`a session ended from another device (${viewport.width} px wide)`, async () => {
      const sam = await user(`sam${viewport.width}`, "viewer");
      const laptop = await device(viewport);
      await signIn(laptop.page, sam.username, sam.password);
      await laptop.page.goto(`${server.url}/account`);
      await laptop.page.getByTestId("account-sessions").waitFor();

      const phone = await device(PHONE);
      await signIn(phone.page, sam.username, sam.password);
      await phone.page.goto(`${server.url}/account`);
      const otherSession = phone.page.locator('[data-testid="session-row"][data-current="false"]');
      await otherSession.getByTestId("session-revoke").click();
      await phone.page.getByTestId("confirm-cancel").click();
      expect(await otherSession.count()).toBe(1);
      await otherSession.getByTestId("session-revoke").click();
      await phone.page.getByTestId("confirm-accept").click();
      await otherSession.waitFor({ state: "detached" });

      await laptop.page
        .getByTestId("signed-out-reason")
        .filter({ hasText: "Your session was ended from another device." })
        .waitFor({ timeout: 5_000 });
      expect(await laptop.page.getByTestId("login-username").isVisible()).toBe(true);
      expect(await fitsWidth(laptop.page)).toBe(true);
      // The device that ended it is still signed in.
      expect(await phone.page.getByTestId("current-user").isVisible()).toBe(true);
      expect([...laptop.pageErrors, ...phone.pageErrors]).toEqual([]);
      await laptop.context.close();
      await phone.context.close();
    });

  test("an account disabled by an admin", async () => {
    const dora = await user("dora", "operator");
    const { page, context, pageErrors } = await device();
    await signIn(page, dora.username, dora.password);
    await page.goto(`${server.url}/account`);
    await page.getByTestId("account-sessions").waitFor();

    await (await server.admin()).data("mutation ($id: ID!) { setUserDisabled(id: $id, disabled: true) { disabled } }", { id: dora.id });

    await page.getByTestId("signed-out-reason").filter({ hasText: "Your account was disabled." }).waitFor({ timeout: 5_000 });
    // Signing in again later lands where the page was.
    expect(new URL(page.url()).searchParams.get("next")).toBe("/account");
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  test("signing out everywhere says so on this device and on the others", async () => {
    const eve = await user("eve", "viewer");
    const first = await device();
    const second = await device();
    await signIn(first.page, eve.username, eve.password);
    await signIn(second.page, eve.username, eve.password);
    await second.page.goto(`${server.url}/account`);
    await second.page.getByTestId("sessions-revoke-all").click();
    await second.page.getByTestId("confirm-dialog").filter({ hasText: "Sign out everywhere?" }).waitFor();
    await second.page.getByTestId("confirm-accept").click();
    await second.page.getByTestId("signed-out-reason").filter({ hasText: "You signed out everywhere." }).waitFor();
    await first.page.getByTestId("signed-out-reason").filter({ hasText: "You signed out everywhere." }).waitFor({ timeout: 5_000 });
    expect([...first.pageErrors, ...second.pageErrors]).toEqual([]);
    await first.context.close();
    await second.context.close();
  });
});

describe("irreversible actions ask first", () => {
  test("deleting a user and revoking an API key: cancel keeps it, confirm removes it", async () => {
    await user("doomed", "viewer");
    const { page, context, pageErrors } = await device(PHONE);
    await signIn(page, "admin", ADMIN_PASSWORD);
    await page.goto(`${server.url}/users`);
    const row = userRow(page, "doomed");
    await row.getByTestId("user-delete").click();
    await page.getByTestId("confirm-dialog").filter({ hasText: "Delete the user doomed?" }).waitFor();
    expect(await fitsWidth(page)).toBe(true);
    await page.getByTestId("confirm-cancel").click();
    expect(await page.getByTestId("confirm-dialog").isVisible()).toBe(false);
    expect(await row.count()).toBe(1);
    await row.getByTestId("user-delete").click();
    // Escape is "no" as well.
    await page.keyboard.press("Escape");
    expect(await row.count()).toBe(1);
    await row.getByTestId("user-delete").click();
    await page.getByTestId("confirm-accept").click();
    await row.waitFor({ state: "detached" });
    expect(await server.app.services.users.list().some((each) => each.username === "doomed")).toBe(false);

    // Every problem of the API key form at once, then a key, then revoking it.
    await page.goto(`${server.url}/account`);
    await page.getByTestId("apikey-create").click();
    expect(await page.getByTestId("account-apikeys").getByTestId("field-problem").allTextContents()).toEqual([
      "Name the key, e.g. after what uses it.",
      "Choose at least one scope.",
      "Enter your current password.",
    ]);
    await page.getByTestId("apikey-name").fill("deploy");
    await page.locator('[data-testid="apikey-scope"][data-scope="kv:read"]').check();
    await page.getByTestId("apikey-password").fill(ADMIN_PASSWORD);
    expect(await page.getByTestId("account-apikeys").getByTestId("field-problem").count()).toBe(0);
    await page.getByTestId("apikey-create").click();
    await page.getByTestId("apikey-secret").waitFor();
    const key = page.locator('[data-testid="apikey-row"][data-name="deploy"]');
    await key.getByTestId("apikey-revoke").click();
    await page.getByTestId("confirm-cancel").click();
    expect(await key.getByTestId("apikey-revoked").count()).toBe(0);
    await key.getByTestId("apikey-revoke").click();
    await page.getByTestId("confirm-accept").click();
    await key.getByTestId("apikey-revoked").waitFor();
    expect(await fitsWidth(page)).toBe(true);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});

test("setup names every problem at once, and its link opened again says setup is done", async () => {
  await using fresh = await startTestApp({ seedAdmin: false });
  const link = fresh.announced.find((line) => line.includes("/setup?token=")) as string;
  const setupUrl = link.slice(link.indexOf("http"));

  const first = await device(PHONE);
  await first.page.goto(setupUrl);
  await first.page.getByTestId("setup-password").fill("short");
  await first.page.getByTestId("setup-submit").click();
  expect(await first.page.getByTestId("field-problem").allTextContents()).toEqual([
    "Choose a username.",
    "The password needs at least 8 characters.",
    "Type the password again.",
  ]);
  await first.page.getByTestId("setup-username").fill("owner");
  await first.page.getByTestId("setup-password").fill("owner-password");
  await first.page.getByTestId("setup-confirm").fill("owner-password");
  expect(await first.page.getByTestId("field-problem").count()).toBe(0);
  await first.page.getByTestId("setup-submit").click();
  await first.page.getByTestId("current-user").filter({ hasText: "owner" }).waitFor({ timeout: 10_000 });

  const again = await device(PHONE);
  await again.page.goto(setupUrl);
  await again.page.getByTestId("setup-done").filter({ hasText: "Setup is already done" }).waitFor();
  expect(await again.page.getByTestId("setup-submit").count()).toBe(0);
  expect(await fitsWidth(again.page)).toBe(true);
  await again.page.getByTestId("setup-done-signin").click();
  await again.page.getByTestId("login-username").waitFor();
  expect([...first.pageErrors, ...again.pageErrors]).toEqual([]);
  await first.context.close();
  await again.context.close();
});
