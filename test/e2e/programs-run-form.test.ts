// The run form on a phone-sized screen in Debian's Chromium: a program reads what was typed as its
// standard input, under a time limit; the history and the run name who started it; a time limit
// that is too short ends a run as TIMED_OUT, shown as such; input the server would refuse is
// flagged beside its field and nothing is sent. An admin runs a shell command in a folder typed in.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";

const PHONE = { width: 375, height: 740 };
const OPERATOR = { username: "grace.ops", password: "grace-password-1" };

let browser: Browser;
let server: TestApp;
const scratch = mkdtempSync(join(tmpdir(), "outpost-run-form-e2e-"));
beforeAll(async () => {
  browser = await launchChromium();
  server = await startTestApp({ config: { runsStopGraceMs: 200 } });
  await server.app.services.users.create({ ...OPERATOR, role: "operator" });
});
afterAll(async () => {
  await browser.close();
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function signedInPage(username: string, password: string): Promise<{ page: Page; pageErrors: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await page.goto(`${server.url}/programs`);
  await page.getByTestId("login-username").fill(username);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("programs-list").waitFor({ timeout: 10_000 });
  return { page, pageErrors, close: () => context.close() };
}

async function upload(page: Page, name: string, text: string) {
  const path = join(scratch, name);
  writeFileSync(path, text);
  await page.getByTestId("program-upload-input").setInputFiles(path);
  await page.getByTestId("program-panel").locator("h2", { hasText: name }).waitFor({ timeout: 10_000 });
}

const horizontalOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

test("a program reads the standard input typed in, under a time limit, and the history names who ran it", async () => {
  const { page, pageErrors, close } = await signedInPage(OPERATOR.username, OPERATOR.password);
  await upload(page, "echo-input.sh", 'while read -r line; do echo "got: $line"; done\n');
  await page.getByTestId("run-stdin").fill("first line\nsecond line\n");
  await page.getByTestId("run-time-limit").fill("5");
  await page.getByTestId("run-submit").click();
  await page.locator('[data-testid="run-view"][data-status="SUCCEEDED"]').waitFor({ timeout: 15_000 });
  await page.getByTestId("run-output").filter({ hasText: "got: first line\ngot: second line" }).waitFor();
  expect(await page.getByTestId("run-started-by").textContent()).toContain("started by grace.ops");
  const row = page.locator(".run-history li", { hasText: "echo-input.sh" }).first();
  expect(await row.getByTestId("history-started-by").textContent()).toBe(" · by grace.ops");

  // What the server would refuse is said beside the field, and nothing is started.
  const runsBefore = await page.getByTestId("history-row").count();
  await page.getByTestId("run-time-limit").fill("0");
  await page.getByTestId("run-submit").click();
  await page.locator(".field-problem", { hasText: "Enter whole seconds, 1 or more." }).waitFor();
  await page.getByTestId("run-time-limit").fill("86401");
  await page.locator(".field-problem", { hasText: "At most 86400 seconds." }).waitFor();
  await page.getByTestId("run-time-limit").fill("");
  await page.getByTestId("run-stdin").fill("x".repeat((1 << 20) + 1));
  await page.locator(".field-problem", { hasText: "Standard input can have at most 1 MiB: this is 1 B too much." }).waitFor();
  await page.getByTestId("run-submit").click();
  expect(await page.getByTestId("history-row").count()).toBe(runsBefore);
  await page.getByTestId("run-stdin").fill("");

  // One second is not enough for a program that sleeps longer: it ends TIMED_OUT, and says so.
  await upload(page, "sleeper.sh", "echo sleeping\nsleep 30\n");
  await page.getByTestId("run-time-limit").fill("1");
  await page.getByTestId("run-submit").click();
  await page.locator('[data-testid="run-view"][data-status="TIMED_OUT"]').waitFor({ timeout: 15_000 });
  expect(await page.getByTestId("run-status").textContent()).toBe("TIMED_OUT");
  expect(await page.getByTestId("run-timed-out").textContent()).toBe(" after its time limit of 1 s");
  await page.locator(".run-history li", { hasText: "TIMED_OUT" }).filter({ hasText: "sleeper.sh" }).waitFor();

  expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
  expect(pageErrors).toEqual([]);
  await close();
}, 60_000);

test("an admin runs a shell command in a folder typed in, with a time limit", async () => {
  const folder = mkdtempSync(join(scratch, "work-"));
  const { page, pageErrors, close } = await signedInPage("admin", ADMIN_PASSWORD);
  await page.getByTestId("exec-command").fill("pwd");
  await page.getByTestId("exec-place").selectOption("path");
  await page.getByTestId("exec-folder").fill("relative/path");
  await page.getByTestId("exec-submit").click();
  await page.locator(".field-problem", { hasText: "Enter an absolute path, starting with /." }).waitFor();
  await page.getByTestId("exec-folder").fill(folder);
  await page.getByTestId("exec-time-limit").fill("10");
  await page.getByTestId("exec-submit").click();
  await page.locator('[data-testid="run-view"][data-status="SUCCEEDED"]').waitFor({ timeout: 15_000 });
  await page.getByTestId("run-output").filter({ hasText: folder }).waitFor();
  expect(await page.getByTestId("run-started-by").textContent()).toContain("started by admin");
  expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
  expect(pageErrors).toEqual([]);
  await close();
}, 60_000);
