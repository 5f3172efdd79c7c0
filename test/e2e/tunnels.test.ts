// The Tunnels page in Chromium: an admin without a second factor is warned, opens a localtunnel
// tunnel (through the protocol stand-in) after confirming, sees its address with a copy button and
// a QR code and the indicator in the header, keeps it across restarts, closes it; a provider this
// box cannot run says why; on a phone the page fits the screen.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";
import { type LocaltunnelStandIn, startLocaltunnelStandIn } from "../harness/localtunnel-server";

let browser: Browser;
let server: TestApp;
let standIn: LocaltunnelStandIn;
beforeAll(async () => {
  browser = await launchChromium();
  // No cloudflared on this machine: the path points where none is.
  server = await startTestApp({ config: { cloudflaredPath: "/nonexistent/cloudflared" } });
  standIn = await startLocaltunnelStandIn();
});
afterAll(async () => {
  await browser.close();
  await server.stop();
  await standIn.stop();
});

async function openTunnels(viewport: { width: number; height: number }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByTestId("login-username").fill("admin");
  await page.getByTestId("login-password").fill(ADMIN_PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("current-user").waitFor({ timeout: 10_000 });
  await page.getByTestId("nav-tunnels").click();
  await page.getByTestId("tunnel-start").waitFor();
  return { context, page };
}

test("an admin opens a tunnel, sees its address and QR code and the header's indicator, and closes it", async () => {
  const { context, page } = await openTunnels({ width: 1280, height: 900 });
  await page.getByTestId("tunnel-second-factor-warning").waitFor();
  expect(await page.getByTestId("tunnel-provider-unavailable").textContent()).toContain("is not an executable file");
  expect(await page.getByTestId("tunnel-start").isDisabled()).toBe(true);

  await page.getByTestId("tunnel-provider").selectOption("LOCALTUNNEL");
  await page.getByTestId("tunnel-server").fill(standIn.url);
  await page.getByTestId("tunnel-start").click();
  await page.getByTestId("confirm-accept").click();
  await page.locator('[data-testid="tunnel"][data-state="ONLINE"]').waitFor({ timeout: 15_000 });
  expect(await page.getByTestId("tunnel-url").textContent()).toMatch(/^http:\/\/[a-z0-9]+\.localtunnel\.test:\d+$/);
  expect(await page.getByTestId("tunnel-qr").count()).toBe(1);
  await page.getByTestId("tunnel-indicator").waitFor();

  await page.getByTestId("tunnel-boot-toggle").click();
  await page.waitForFunction(
    () => (document.querySelector('[data-testid="tunnel-boot-toggle"]') as HTMLInputElement | null)?.checked === true,
  );
  expect(server.app.services.tunnels.list()[0]?.startOnBoot).toBe(true);

  await page.getByTestId("tunnel-stop").click();
  await page.getByTestId("confirm-accept").click();
  await page.locator('[data-testid="tunnel"][data-state="STOPPED"]').waitFor();
  await page.getByTestId("tunnel-indicator").waitFor({ state: "detached" });
  expect(await page.getByTestId("error").count()).toBe(0);
  await context.close();
});

test("a provider that cannot be reached shows why; on a phone the page fits the screen", async () => {
  const { context, page } = await openTunnels({ width: 375, height: 740 });
  await page.getByTestId("tunnel-provider").selectOption("LOCALTUNNEL");
  await page.getByTestId("tunnel-server").fill("http://127.0.0.1:9");
  await page.getByTestId("tunnel-start").click();
  await page.getByTestId("confirm-accept").click();
  await page.getByTestId("error").first().waitFor({ timeout: 15_000 });
  expect(await page.getByTestId("error").first().textContent()).toContain("could not be reached");

  await page.getByTestId("tunnel-server").fill(standIn.url);
  await page.getByTestId("tunnel-start").click();
  await page.getByTestId("confirm-accept").click();
  await page.locator('[data-testid="tunnel"][data-state="ONLINE"]').waitFor({ timeout: 15_000 });
  await page.getByTestId("tunnel-indicator").waitFor();
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
  await context.close();
});
