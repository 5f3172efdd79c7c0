// The Audit and System pages in Chromium: an admin finds a change to a user listed under the
// user's name, opens an entry to see the browser it came from, and exports the filtered rows as
// CSV; the System page shows the host's name and Outpost's version (and the jobs to an admin, not
// to a viewer); on a phone both pages and the details fit the screen.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { Browser, Page } from "playwright-core";
import { VERSION } from "../../server/version";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";

// The browser's User-Agent, so the audit entries of its sign-in can be told by it.
const USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 audit-e2e";

let browser: Browser;
let server: TestApp;
let caseyId: string;
beforeAll(async () => {
  browser = await launchChromium();
  server = await startTestApp();
  const admin = await server.admin();
  const { createUser } = await admin.data<{ createUser: { id: string } }>(
    'mutation { createUser(username: "casey", password: "casey-password", role: viewer) { id } }',
  );
  caseyId = createUser.id;
  await admin.data(`mutation { setUserRole(id: "${caseyId}", role: operator) { id } }`);
});
afterAll(async () => {
  await browser.close();
  await server.stop();
});

async function signedIn(viewport: { width: number; height: number }, username = "admin", password = ADMIN_PASSWORD) {
  const context = await browser.newContext({ viewport, userAgent: USER_AGENT });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByTestId("login-username").fill(username);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("current-user").waitFor({ timeout: 10_000 });
  return { context, page };
}

const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
const row = (page: Page, action: string) => page.locator(`[data-testid="audit-row"][data-action="${action}"]`);

test("the audit log names targets, shows an entry's client, and exports the filtered rows as CSV", async () => {
  const { context, page } = await signedIn({ width: 1280, height: 800 });
  await page.getByTestId("nav-audit").click();

  // The role change names the user, not their id.
  const roleChange = row(page, "mutation.setUserRole").first();
  await roleChange.waitFor();
  expect(await roleChange.getByTestId("audit-target").textContent()).toBe("casey");
  expect(await roleChange.textContent()).not.toContain(caseyId);

  // The browser's own sign-in, opened: every field, the user agent among them.
  await row(page, "mutation.login").first().getByTestId("audit-open").click();
  const details = page.getByTestId("audit-details");
  await details.waitFor();
  expect(await details.getByTestId("audit-details-user-agent").textContent()).toContain(USER_AGENT);
  await page.getByTestId("audit-details-close").click();
  await details.waitFor({ state: "detached" });

  // Filtered by part of the action, the export holds exactly the rows listed.
  await page.getByTestId("audit-filter-action").fill("UserRole");
  await page.waitForURL(/action=UserRole/);
  await page.getByTestId("audit-row").first().waitFor();
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid="audit-row"]')].every(
      (each) => each.getAttribute("data-action") === "mutation.setUserRole",
    ),
  );
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("audit-export-csv").click()]);
  expect(download.suggestedFilename()).toMatch(/^outpost-audit-.*\.csv$/);
  const lines = readFileSync(await download.path(), "utf8")
    .trim()
    .split("\r\n");
  expect(lines[0]).toContain('"action"');
  expect(lines.slice(1).length).toBe(await page.getByTestId("audit-row").count());
  expect(lines.slice(1).every((line) => line.includes('"mutation.setUserRole"') && line.includes('"casey"'))).toBe(true);
  await context.close();
});

test("the System page shows the host's name, Outpost's version and, to an admin, the background jobs", async () => {
  const { context, page } = await signedIn({ width: 1280, height: 800 });
  await page.getByTestId("nav-system").click();
  expect(await page.getByTestId("system-hostname").textContent()).toBe(hostname());
  expect(await page.getByTestId("system-version").textContent()).toBe(VERSION);
  await page.locator('[data-testid="job-row"][data-job="audit.retention"]').waitFor();
  await context.close();

  await server.app.services.users.create({ username: "vic", password: "vic-password", role: "viewer" });
  const viewer = await signedIn({ width: 1280, height: 800 }, "vic", "vic-password");
  await viewer.page.getByTestId("nav-system").click();
  await viewer.page.getByTestId("system-hostname").waitFor();
  expect(await viewer.page.getByTestId("system-jobs").count()).toBe(0);
  await viewer.context.close();
});

test("on a phone the audit list, an entry's details and the System page fit the screen", async () => {
  const { context, page } = await signedIn({ width: 375, height: 740 });
  await page.goto(`${server.url}/audit`);
  await row(page, "mutation.setUserRole").first().waitFor();
  expect(await fitsWidth(page)).toBe(true);

  // A tap anywhere on the card opens it.
  await row(page, "mutation.setUserRole").first().getByTestId("audit-target").click();
  const details = page.getByTestId("audit-details");
  await details.waitFor();
  const box = await details.boundingBox();
  expect(box !== null && box.x >= 0 && box.x + box.width <= 375 + 1).toBe(true);
  expect(await fitsWidth(page)).toBe(true);
  await page.keyboard.press("Escape");
  await details.waitFor({ state: "detached" });

  await page.getByTestId("nav-system").click();
  await page.getByTestId("system-hostname").waitFor();
  await page.locator('[data-testid="job-row"]').first().waitFor();
  expect(await fitsWidth(page)).toBe(true);
  await context.close();
});
