// The Files page in Debian's Chromium: upload two files at once through the resumable upload with
// their progress shown, see them listed, download one back and compare its bytes; on a desktop and
// on a phone-sized screen, without horizontal scrolling.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";

let browser: Browser;
const scratch = mkdtempSync(join(tmpdir(), "outpost-files-e2e-"));
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
  rmSync(scratch, { recursive: true, force: true });
});

for (const viewport of [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 375, height: 740 },
]) {
  describe(`on a ${viewport.name} screen`, () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startTestApp();
    });
    afterAll(() => server.stop());

    test("upload two files with progress, see them listed, download one back byte for byte", async () => {
      const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height }, acceptDownloads: true });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (err) => pageErrors.push(err.message));

      const photo = join(scratch, `${viewport.name}-photo.jpg`);
      const log = join(scratch, `${viewport.name}-büro log.txt`);
      writeFileSync(photo, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(6 * 1024 * 1024)]));
      writeFileSync(log, `boot ok\n${"line of the log\n".repeat(20_000)}`);

      await page.goto(`${server.url}/files`);
      await page.getByTestId("login-username").fill("admin");
      await page.getByTestId("login-password").fill(ADMIN_PASSWORD);
      await page.getByTestId("login-submit").click();
      await page.getByTestId("upload-choose").waitFor({ timeout: 10_000 });
      await page.getByTestId("live-status").filter({ hasText: "live" }).waitFor({ timeout: 10_000 });

      await page.getByTestId("upload-input").setInputFiles([photo, log]);
      // Each file has its own bar, and one counts them all.
      await page.getByTestId("upload-overall").waitFor();
      expect(await page.getByTestId("upload-progress").count()).toBe(2);
      for (const name of [`${viewport.name}-photo.jpg`, `${viewport.name}-büro log.txt`])
        await page.locator(`[data-testid="upload-row"][data-name="${name}"][data-state="done"]`).waitFor({ timeout: 30_000 });
      for (const bar of await page.getByTestId("upload-progress").all()) expect(await bar.getAttribute("value")).toBe("100");
      await page.getByTestId("upload-overall").filter({ hasText: "Uploaded" }).waitFor();

      const row = page.locator(`[data-testid="file-row"][data-name="${viewport.name}-photo.jpg"]`);
      await row.waitFor();
      await page.locator(`[data-testid="file-row"][data-name="${viewport.name}-büro log.txt"]`).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);

      const [download] = await Promise.all([page.waitForEvent("download"), row.getByTestId("file-download").click()]);
      expect(download.suggestedFilename()).toBe(`${viewport.name}-photo.jpg`);
      const saved = join(scratch, `${viewport.name}-downloaded`);
      await download.saveAs(saved);
      expect(readFileSync(saved).equals(readFileSync(photo))).toBe(true);

      // Opening a row shows what may be done with the file, and a share link with its QR code.
      await row.locator(".file-name").click();
      await row.getByTestId("share-create").click();
      await row.getByTestId("share-qr").waitFor();
      const url = (await row.getByTestId("share-url").textContent()) as string;
      const shared = await fetch(url);
      expect(Buffer.from(await shared.arrayBuffer()).equals(readFileSync(photo))).toBe(true);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);

      expect(pageErrors).toEqual([]);
      await context.close();
    }, 90_000);
  });
}
