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
  // Operators too, so that a terminal can be shared with someone who does not see every terminal.
  server = await startTestApp({ config: { terminalsForOperators: true } });
});
afterAll(async () => {
  await browser.close();
  await server.stop();
});

async function signIn(page: Page, username = "admin", password = ADMIN_PASSWORD) {
  await page.goto(`${server.url}/terminals`);
  await page.getByTestId("login-username").fill(username);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
}

async function signInAndOpenShell(page: Page) {
  await signIn(page);
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

test("the owner shares a terminal read-only from a phone; the other user watches it and cannot type", async () => {
  await server.userWithRole("operator");
  const guestName = "operator1";
  const ownerContext = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const owner = await ownerContext.newPage();
  await signInAndOpenShell(owner);
  await owner.getByTestId("terminal-host").click();
  await owner.keyboard.type("echo shared-$((8*8))\n");
  await screenRow(owner, /^shared-64\s*$/).waitFor({ timeout: 10_000 });

  const row = owner.locator('[data-testid="terminal-row"][aria-current="true"]');
  await row.getByTestId("terminal-share-toggle").click();
  await row.getByTestId("terminal-share-user").selectOption({ label: guestName });
  await row.getByTestId("terminal-share-submit").click();
  await row.filter({ hasText: `${guestName} may watch` }).waitFor({ timeout: 10_000 });
  const overflow = await owner.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  const guestContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const guest = await guestContext.newPage();
  await signIn(guest, guestName, `${guestName}-password`);
  await guest.getByTestId("terminal-row").filter({ hasText: "read-only" }).getByTestId("terminal-show").click();
  await screenRow(guest, /^shared-64\s*$/).waitFor({ timeout: 10_000 });
  await guest.getByText("Shared with you read-only").waitFor();
  await guest.getByTestId("terminal-host").click();
  await guest.keyboard.type("echo guest-typed\n");
  await owner.getByTestId("terminal-host").click();
  await owner.keyboard.type("echo owner-$((2*3))\n");
  await screenRow(guest, /^owner-6\s*$/).waitFor({ timeout: 10_000 });
  expect(await screen(guest).textContent()).not.toContain("guest-typed");
  await guestContext.close();
  await ownerContext.close();
}, 60_000);
