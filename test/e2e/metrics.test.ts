// The dashboard (the home page) and the Processes page in Chromium: a viewer sees the host's figures and uPlot charts that
// move as samples arrive and switches to the last hour from the history; an admin sorts and filters
// the processes and ends one after confirming; on a phone both pages fit the screen.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { fitsWidth, launchChromium, signedInPage } from "../harness/browser";

let browser: Browser;
let server: TestApp;
beforeAll(async () => {
  browser = await launchChromium();
  // Samples every second and the history written every second, so the page has something to show at once.
  server = await startTestApp({ config: { metricsIntervalSeconds: 1, metricsFlushSeconds: 1 } });
  await server.app.services.users.create({ username: "vera", password: "vera-password", role: "viewer" });
});
afterAll(async () => {
  await browser.close();
  await server.stop();
});

const signedIn = (viewport: { width: number; height: number }, username: string, password: string) =>
  signedInPage(browser, server.url, { viewport, username, password });

async function openMetrics(viewport: { width: number; height: number }) {
  const { context, page } = await signedIn(viewport, "vera", "vera-password");
  // The dashboard is the home page: signing in lands on it.
  await page.getByTestId("metrics-cpu-percent").waitFor();
  expect(new URL(page.url()).pathname).toBe("/");
  return { context, page };
}

const chartPoints = (page: Page, series: string) =>
  page.evaluate(
    (s) => Number(document.querySelector(`[data-testid="metrics-chart"][data-series="${s}"]`)?.getAttribute("data-points") ?? -1),
    series,
  );

test("the charts move as live samples arrive, and the last hour comes from the history", async () => {
  const { context, page } = await openMetrics({ width: 1280, height: 900 });
  expect(await page.getByTestId("metrics-cpu-percent").textContent()).toMatch(/%$/);
  expect(await page.locator('[data-testid="metrics-fs"][data-mount="/"]').count()).toBe(1);

  // Each new sample adds a point to every chart.
  const first = await chartPoints(page, "mem.percent");
  await page.waitForFunction(
    (before) =>
      Number(document.querySelector('[data-testid="metrics-chart"][data-series="mem.percent"]')?.getAttribute("data-points")) >= before + 2,
    first,
    { timeout: 10_000 },
  );
  // uPlot draws each chart on a canvas as wide as its card.
  const canvas = page.locator('[data-series="cpu.percent"] canvas');
  expect((await canvas.boundingBox())?.width).toBeGreaterThan(200);
  expect(await page.locator('[data-series^="disk."]').count()).toBe(1);
  // The busiest processes, five by CPU and five by memory.
  expect(await page.getByTestId("metrics-top-process").count()).toBe(10);

  await page.getByTestId("metrics-range-1h").click();
  expect(await page.getByTestId("metrics-range-1h").getAttribute("aria-pressed")).toBe("true");
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="metrics-chart"][data-series="cpu.percent"]')?.getAttribute("data-points")) > 0,
    undefined,
    { timeout: 10_000 },
  );
  await page.getByTestId("metrics-loading").waitFor({ state: "detached" });
  expect(await page.getByTestId("error").count()).toBe(0);
  await context.close();
});

test("on a phone the page fits the screen", async () => {
  const { context, page } = await openMetrics({ width: 375, height: 740 });
  await page.locator('[data-testid="metrics-chart"]').first().waitFor();
  expect(await fitsWidth(page)).toBe(true);
  await context.close();
});

test("an admin sorts and filters the processes and ends one after confirming", async () => {
  const seconds = String(4000 + Math.floor(Math.random() * 1000));
  const child = Bun.spawn(["sleep", seconds], { stdout: "ignore", stderr: "ignore" });
  try {
    const { context, page } = await signedIn({ width: 375, height: 740 }, "admin", ADMIN_PASSWORD);
    await page.getByTestId("nav-processes").click();
    await page.getByTestId("process-row").first().waitFor();

    await page.getByTestId("processes-sort").selectOption("MEMORY");
    await page.waitForFunction(() => {
      const sizes = [...document.querySelectorAll('[data-testid="process-memory"]')].map((each) => Number(each.getAttribute("data-bytes")));
      return sizes.length > 1 && sizes.every((size, i) => i === 0 || (sizes[i - 1] ?? 0) >= size);
    });

    await page.getByTestId("processes-filter").fill(`sleep ${seconds}`);
    const row = page.locator(`[data-testid="process-row"][data-pid="${child.pid}"]`);
    await row.waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="process-row"]').length === 1);
    expect(await fitsWidth(page)).toBe(true);

    await row.getByTestId("process-signal").selectOption("TERM");
    await page.getByTestId("confirm-accept").click();
    await child.exited;
    expect(child.signalCode).toBe("SIGTERM");
    await page.getByText("No process matches.").waitFor();
    await context.close();
  } finally {
    child.kill("SIGKILL");
  }
});
