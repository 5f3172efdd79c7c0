// The disk banner in Chromium: while the data disk is below the reserve every page shows it, with
// what takes the space and a link to the Data page, on a desktop and on a phone-sized screen
// without sideways scrolling; a disk that fills while a page is open shows the banner at the next
// poll, without a reload (on a small tmpfs: root only, skipped with the reason elsewhere).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";
import { mountSmallDisk, smallDiskUnavailable, waitForDiskState } from "../harness/small-disk";

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser.close());

async function signIn(page: Page, url: string) {
  await page.goto(`${url}/login`);
  await page.getByTestId("login-username").fill("admin");
  await page.getByTestId("login-password").fill(ADMIN_PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("current-user").waitFor({ timeout: 10_000 });
}

const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

describe("a disk below the reserve", () => {
  let server: TestApp;
  beforeAll(async () => {
    // A reserve no test machine has free: the disk is low from the start (no emergency space, so not full).
    server = await startTestApp({ config: { diskReserveBytes: 2 ** 40, diskEmergencySpaceBytes: 0 } });
  });
  afterAll(() => server.stop());

  for (const viewport of [
    { name: "desktop", width: 1280, height: 800 },
    { name: "phone", width: 375, height: 740 },
  ]) {
    test(`on a ${viewport.name} screen: every page shows the banner with what takes the space, and it leads to the Data page`, async () => {
      const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (err) => pageErrors.push(err.message));
      await signIn(page, server.url);

      const banner = page.getByTestId("disk-banner");
      await banner.filter({ hasText: "The disk is almost full." }).waitFor({ timeout: 10_000 });
      expect(await banner.getAttribute("data-state")).toBe("LOW");
      expect(await banner.textContent()).toContain("Outpost keeps 1 TiB free so you can still sign in and delete");
      expect(await page.getByTestId("disk-banner-usage").textContent()).toMatch(
        /^Using the space: database [\d.]+ (KiB|MiB) · .*other programs /,
      );
      expect(await fitsWidth(page)).toBe(true);

      await page.getByTestId("nav-account").click();
      await page.waitForURL(/\/account$/);
      await banner.waitFor();
      expect(await fitsWidth(page)).toBe(true);

      await page.getByTestId("disk-banner-free-space").click();
      await page.waitForURL(/\/data$/);
      await page.getByTestId("kv-new-key").waitFor();
      await banner.waitFor();
      expect(pageErrors).toEqual([]);
      await context.close();
    });
  }
});

describe.skipIf(smallDiskUnavailable !== null)(
  `a disk that fills while a page is open${smallDiskUnavailable ? ` (skipped: ${smallDiskUnavailable})` : ""}`,
  () => {
    test("the banner appears at the next poll without a reload, saying the disk is full", async () => {
      using disk = mountSmallDisk(32 << 20);
      const settings = { diskReserveBytes: 8 << 20, diskReservePercent: 0, diskEmergencySpaceBytes: 6 << 20 };
      await using server = await startTestApp({ config: { dataDir: join(disk.dir, "data"), ...settings } });
      const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
      const page = await context.newPage();
      await page.clock.install();
      await signIn(page, server.url);
      await page.getByTestId("nav-data").click();
      await page.getByTestId("kv-new-key").waitFor();
      expect(await page.getByTestId("disk-banner").count()).toBe(0);

      disk.fillFromOutside(join(disk.dir, "runaway.log"));
      // The page's next poll, once the server has seen the disk fill (it measures again after a second).
      await waitForDiskState(server.url, "full");
      await page.clock.fastForward(30_000);
      const banner = page.getByTestId("disk-banner");
      await banner.filter({ hasText: "The disk is full." }).waitFor({ timeout: 10_000 });
      expect(await banner.getAttribute("data-state")).toBe("FULL");
      expect(await fitsWidth(page)).toBe(true);
      await context.close();
    });
  },
);
