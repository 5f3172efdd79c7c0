// The web UI in Debian's Chromium (playwright-core): first-run setup from the announced link,
// every navigation link on the screen, sign-in, creating and editing an entry (each confirmed as
// done), seeing another client's change appear live, deleting an entry after confirming, signing
// out; on a desktop and on a phone-sized screen.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";
import { graphqlClient } from "../harness/client";

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser.close());

const row = (page: Page, key: string) => page.locator(`[data-testid="kv-row"][data-key="${key}"]`);

async function noHorizontalOverflow(page: Page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}

/** The test ids of the navigation's links, each with whether it lies wholly within the screen's width. */
async function navLinksOnScreen(page: Page) {
  return page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link")
    .evaluateAll((links) =>
      links.map((link) => {
        const box = link.getBoundingClientRect();
        return { link: link.getAttribute("data-testid"), onScreen: box.left >= 0 && box.right <= window.innerWidth };
      }),
    );
}

for (const viewport of [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 375, height: 740 },
]) {
  describe(`on a ${viewport.name} screen`, () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startTestApp({ seedAdmin: false });
    });
    afterAll(() => server.stop());

    test("setup, sign-in, set an entry, see another client's change live, edit, delete, sign out", async () => {
      const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (err) => pageErrors.push(err.message));

      // First run: the link printed by the server opens the setup page.
      const link = server.announced.find((line) => line.includes("/setup?token=")) as string;
      await page.goto(link.slice(link.indexOf("http")));
      await page.getByTestId("setup-username").fill("owner");
      await page.getByTestId("setup-password").fill("owner-password");
      await page.getByTestId("setup-confirm").fill("owner-password");
      await page.getByTestId("setup-submit").click();
      await page.getByTestId("current-user").filter({ hasText: "owner" }).waitFor({ timeout: 10_000 });
      // Home is the dashboard.
      await page.getByTestId("metrics-cpu-percent").waitFor({ timeout: 10_000 });
      expect(await noHorizontalOverflow(page)).toBe(true);
      // An admin's full navigation: every link is on the screen, none scrolled out of sight.
      const navLinks = await navLinksOnScreen(page);
      expect(navLinks.map((each) => each.link)).toEqual(expect.arrayContaining(["nav-data", "nav-users", "nav-account", "nav-graphiql"]));
      expect(navLinks.filter((each) => !each.onScreen)).toEqual([]);

      // Sign out and back in with the form.
      await page.getByTestId("signout").click();
      await page.getByTestId("login-username").waitFor();
      await page.getByTestId("login-username").fill("owner");
      await page.getByTestId("login-password").fill("wrong-password");
      await page.getByTestId("login-submit").click();
      await page.getByTestId("error").filter({ hasText: "Wrong username or password" }).waitFor();
      await page.getByTestId("login-password").fill("owner-password");
      await page.getByTestId("login-submit").click();
      await page.getByTestId("metrics-cpu-percent").waitFor({ timeout: 10_000 });
      await page.getByTestId("nav-data").click();
      await page.getByTestId("live-status").filter({ hasText: "live" }).waitFor({ timeout: 10_000 });

      // Create an entry in the UI; the API sees it.
      await page.getByTestId("kv-new-key").fill("ui/site");
      await page.getByTestId("kv-new-value").fill('{"title": "Outpost"}');
      await page.getByTestId("kv-new-submit").click();
      await row(page, "ui/site").waitFor();
      await page.getByTestId("kv-new-created").filter({ hasText: "Created ui/site." }).waitFor();
      const api = graphqlClient(server.url);
      const login = await api.data<{ login: { accessToken: string } }>(
        `mutation { login(username: "owner", password: "owner-password") { accessToken } }`,
      );
      const other = graphqlClient(server.url, login.login.accessToken);
      expect(await other.data(`{ kv(key: "ui/site") { value version } }`)).toEqual({ kv: { value: { title: "Outpost" }, version: 1 } });

      // Invalid JSON is refused in place.
      await page.getByTestId("kv-new-key").fill("ui/bad");
      await page.getByTestId("kv-new-value").fill("{not json");
      expect(await page.getByTestId("kv-new-submit").isDisabled()).toBe(true);

      // Another client's change appears without a reload.
      await other.data(`mutation { setKv(key: "ui/from-elsewhere", value: {n: 42}) { version } }`);
      await row(page, "ui/from-elsewhere").waitFor({ timeout: 5_000 });
      await row(page, "ui/from-elsewhere").getByTestId("kv-row-value").filter({ hasText: "42" }).waitFor();

      // Edit through the UI; the API sees the new version.
      await row(page, "ui/site").click();
      await page.getByTestId("kv-edit-value").fill('{"title": "Edited"}');
      await page.getByTestId("kv-edit-save").click();
      await page.getByTestId("kv-edit-saved").filter({ hasText: "Saved" }).waitFor();
      await row(page, "ui/site").getByTestId("kv-row-value").filter({ hasText: "Edited" }).waitFor();
      expect(await other.data(`{ kv(key: "ui/site") { value version } }`)).toEqual({ kv: { value: { title: "Edited" }, version: 2 } });

      // A delete elsewhere removes the row live.
      await other.data(`mutation { deleteKv(key: "ui/from-elsewhere") }`);
      await row(page, "ui/from-elsewhere").waitFor({ state: "detached", timeout: 5_000 });

      // Deleting in the editor asks first: cancelling keeps the entry, confirming deletes it.
      const dialog = page.getByTestId("confirm-dialog");
      await page.getByTestId("kv-delete").click();
      await dialog.filter({ hasText: 'Delete "ui/site"?' }).waitFor();
      await page.getByTestId("confirm-cancel").click();
      await dialog.waitFor({ state: "hidden" });
      expect(await other.data(`{ kv(key: "ui/site") { version } }`)).toEqual({ kv: { version: 2 } });
      await page.getByTestId("kv-delete").click();
      await page.getByTestId("confirm-accept").click();
      await row(page, "ui/site").waitFor({ state: "detached" });
      expect(await other.data(`{ kv(key: "ui/site") { version } }`)).toEqual({ kv: null });

      expect(await noHorizontalOverflow(page)).toBe(true);
      expect(pageErrors).toEqual([]);
      await context.close();
    });
  });
}
