// The Alerts page and banner in Chromium, on a phone-sized screen: an operator adds a rule in the
// editor, the alert it raises shows in the banner on every page as it fires, is acknowledged on the
// Alerts page (the banner goes), resolves into the history; a webhook added in the form gets a test
// message, and its delivery shows as delivered; a webhook whose secret no longer opens (<data>/secret
// replaced) shows why its delivery waits, and gets its secret again in its row. A viewer sees alerts
// but no editor.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { createManualClock } from "../../server/clock";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { fitsWidth, launchChromium, signedInPage } from "../harness/browser";
import { syntheticSample } from "../harness/metrics-sample";

const PHONE = { width: 375, height: 740 };
let browser: Browser;
let server: TestApp;
let receiver: ReturnType<typeof Bun.serve>;
const received: unknown[] = [];
const secretsReceived: (string | null)[] = [];
beforeAll(async () => {
  browser = await launchChromium();
  // Real samples once an hour: the synthetic ones are all the rules see.
  server = await startTestApp({ config: { metricsIntervalSeconds: 3600 } });
  await server.app.services.users.create({ username: "olga", password: "olga-password", role: "operator" });
  await server.app.services.users.create({ username: "vera", password: "vera-password", role: "viewer" });
  receiver = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      secretsReceived.push(request.headers.get("x-outpost-secret"));
      received.push(await request.json());
      return new Response(null, { status: 204 });
    },
  });
});
afterAll(async () => {
  receiver.stop(true);
  await browser.close();
  await server.stop();
});

const signedIn = (username: string, password: string) => signedInPage(browser, server.url, { viewport: PHONE, username, password });
const feedLoad = (load1: number) => server.app.services.alerts.evaluate(syntheticSample({ atMs: Date.now(), load1 }));

test("an operator adds a rule, sees its alert fire in the banner, acknowledges it, and finds it in the history", async () => {
  const { context, page } = await signedIn("olga", "olga-password");
  await page.getByTestId("nav-alerts").click();
  await page.getByTestId("rule-row").first().waitFor();
  expect(await page.getByTestId("rule-row").count()).toBe(5);

  // The editor says what is missing before anything is sent.
  await page.getByTestId("rule-name").fill("Load high");
  await page.getByTestId("rule-series").fill("load.1");
  await page.getByTestId("rule-save").click();
  await page.getByText("Set a warning level, a critical level or both.").waitFor();
  await page.getByTestId("rule-warning").fill("2");
  await page.getByTestId("rule-critical").fill("1");
  await page.getByText("Must be above the warning level.").waitFor();
  await page.getByTestId("rule-critical").fill("4");
  await page.getByTestId("rule-for").fill("0");
  await page.getByTestId("rule-hysteresis").fill("0.5");
  await page.getByTestId("rule-save").click();
  await page.getByText("Rule added").waitFor();
  await page.locator('[data-testid="rule-row"]', { hasText: "Load high" }).waitFor();
  expect(await fitsWidth(page)).toBe(true);

  await page.getByTestId("nav-data").click();
  await feedLoad(3);
  const banner = page.getByTestId("alert-banner");
  await banner.waitFor({ timeout: 10_000 });
  expect(await banner.textContent()).toContain("Load high: load.1 3 past 2 (warning)");
  expect(await fitsWidth(page)).toBe(true);

  await page.getByTestId("alert-banner-open").click();
  const row = page.locator('[data-testid="alert-row"]', { hasText: "Load high" });
  await row.waitFor();
  await row.getByTestId("alert-acknowledge").click();
  await page.locator('[data-testid="alert-row"][data-state="ACKNOWLEDGED"]').waitFor();
  await banner.waitFor({ state: "detached" });
  expect(await row.textContent()).toContain("acknowledged by olga");

  await feedLoad(1);
  await page.getByTestId("alerts-none-open").waitFor();
  await page.locator('[data-testid="alert-past-row"]', { hasText: "Load high" }).waitFor();
  expect(await fitsWidth(page)).toBe(true);
  await context.close();
});

test("an operator adds a webhook and sees its test message delivered", async () => {
  const { context, page } = await signedIn("olga", "olga-password");
  await page.getByTestId("nav-alerts").click();
  await page.getByTestId("webhook-name").fill("ops chat");
  await page.getByTestId("webhook-url").fill(`http://127.0.0.1:${receiver.port}/hook`);
  await page.getByTestId("webhook-secret").fill("s3cret");
  await page.getByTestId("webhook-add").click();
  const webhook = page.locator('[data-testid="webhook-row"]', { hasText: "ops chat" });
  await webhook.waitFor();
  expect(await webhook.textContent()).toContain("secret in X-Outpost-Secret");
  await webhook.getByTestId("webhook-test").click();
  await page.locator('[data-testid="delivery-row"][data-state="DELIVERED"]', { hasText: "test" }).waitFor({ timeout: 15_000 });
  expect(received).toContainEqual(expect.objectContaining({ event: "test" }));
  expect(await fitsWidth(page)).toBe(true);
  await context.close();
});

test("after <data>/secret was replaced, a webhook's delivery shows why it waits, and a new secret gets it delivered", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "outpost-e2e-secret-"));
  const clock = createManualClock(Date.UTC(2026, 5, 1));
  try {
    {
      await using before = await startTestApp({ clock, config: { dataDir, metricsIntervalSeconds: 3600 } });
      await before.app.services.alertWebhooks.createWebhook({
        name: "pager",
        url: `http://127.0.0.1:${receiver.port}/pager`,
        secretHeader: "X-Outpost-Secret",
        secret: "old-secret",
      });
    }
    writeFileSync(join(dataDir, "secret"), randomBytes(32).toString("base64url"));
    await using after = await startTestApp({ clock, config: { dataDir, metricsIntervalSeconds: 3600 } });
    const { context, page } = await signedInPage(browser, after.url, { viewport: PHONE, username: "admin", password: ADMIN_PASSWORD });
    await page.getByTestId("nav-alerts").click();
    const webhook = page.locator('[data-testid="webhook-row"]', { hasText: "pager" });
    await webhook.getByTestId("webhook-test").click();
    const delivery = page.getByTestId("delivery-row").first();
    await delivery.waitFor();
    await clock.advance(0);
    await delivery.getByText("cannot be decrypted").waitFor({ timeout: 15_000 });
    expect(await delivery.getAttribute("data-state")).toBe("PENDING");
    expect(await delivery.textContent()).toContain("set its secret again");
    expect(await fitsWidth(page)).toBe(true);

    await webhook.getByTestId("webhook-secret-change").click();
    await webhook.getByTestId("webhook-new-secret").fill("new-secret");
    expect(await fitsWidth(page)).toBe(true);
    await webhook.getByTestId("webhook-secret-save").click();
    await webhook.getByTestId("webhook-new-secret").waitFor({ state: "detached" });
    await clock.advance(10_000);
    await page.locator('[data-testid="delivery-row"][data-state="DELIVERED"]').first().waitFor({ timeout: 15_000 });
    expect(secretsReceived.at(-1)).toBe("new-secret");
    await context.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a viewer sees the rules and alerts but no editor, webhooks or acknowledge button", async () => {
  await feedLoad(5);
  const { context, page } = await signedIn("vera", "vera-password");
  await page.getByTestId("alert-banner").waitFor();
  await page.getByTestId("nav-alerts").click();
  await page.getByTestId("alert-row").first().waitFor();
  expect(await page.getByTestId("alert-acknowledge").count()).toBe(0);
  expect(await page.getByTestId("rule-editor").count()).toBe(0);
  expect(await page.getByTestId("alert-webhooks").count()).toBe(0);
  expect(await page.getByTestId("rule-edit").count()).toBe(0);
  await context.close();
  await feedLoad(0);
});
