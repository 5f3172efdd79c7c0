// The Terminals page in Debian's Chromium: open a shell, type into xterm.js and see the echo, reload
// and see the earlier output again, and on a phone-sized screen interrupt a running command with
// the key bar's sticky Ctrl — without horizontal scrolling.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";

// An interactive shell that reads no profile (the machine's login profile is not under test).
const PLAIN_SHELL = "exec bash --noprofile --norc -i";

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

async function signInAndOpenShell(page: Page) {
  await page.goto(`${server.url}/terminals`);
  await page.getByTestId("login-username").fill("admin");
  await page.getByTestId("login-password").fill(ADMIN_PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("terminal-command").fill(PLAIN_SHELL);
  await page.getByTestId("terminal-open").click();
  await page.getByTestId("terminal-host").locator(".xterm-rows").filter({ hasText: /[$#]/ }).waitFor({ timeout: 10_000 });
}

/** The screen's text as xterm.js draws it. */
const screen = (page: Page) => page.getByTestId("terminal-host").locator(".xterm-rows");

/** A row of the screen whose whole text matches. */
const screenRow = (page: Page, text: RegExp) => screen(page).locator("> div").filter({ hasText: text });

for (const viewport of [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 375, height: 740 },
]) {
  describe(`on a ${viewport.name} screen`, () => {
    test("type a command and see its answer, reload and see it again", async () => {
      const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (err) => pageErrors.push(err.message));
      await signInAndOpenShell(page);

      await page.getByTestId("terminal-host").click();
      await page.keyboard.type("echo $((6*7))\n");
      await screenRow(page, /^42\s*$/).waitFor({ timeout: 10_000 });

      await page.reload();
      await screenRow(page, /^42\s*$/).waitFor({ timeout: 10_000 });
      expect(await screen(page).textContent()).toContain("echo $((6*7))");

      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 60_000);
  });
}

test("on a phone, the key bar's Ctrl then c interrupts a running command", async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await signInAndOpenShell(page);
  await page.getByTestId("terminal-host").click();
  await page.keyboard.type("sleep 100; echo slept\n");
  await screen(page).filter({ hasText: "sleep 100" }).waitFor({ timeout: 10_000 });

  await page.getByTestId("terminal-key-ctrl").click();
  expect(await page.getByTestId("terminal-key-ctrl").getAttribute("aria-pressed")).toBe("true");
  await page.keyboard.type("c");
  // bash answers ^C with a fresh prompt; "slept" never comes.
  await screen(page).filter({ hasText: /\^C/ }).waitFor({ timeout: 10_000 });
  await page.keyboard.type("echo after-$((1+1))\n");
  await screen(page).filter({ hasText: "after-2" }).waitFor({ timeout: 10_000 });
  expect(await screenRow(page, /^slept/).count()).toBe(0);
  expect(await page.getByTestId("terminal-key-ctrl").getAttribute("aria-pressed")).toBe("false");
  await context.close();
}, 60_000);
