// The web UI opened at a URL with a doubled slash, as a public URL ending in "/" once made of the
// setup link (`http://host:port//setup?token=...`): the page still shows, at the tidied address.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";

let browser: Browser;
let server: TestApp;
beforeAll(async () => {
  browser = await launchChromium();
  server = await startTestApp({ seedAdmin: false });
});
afterAll(async () => {
  await browser.close();
  await server.stop();
});

test("the setup link with a doubled slash opens the setup page and sets up, on a phone-sized screen", async () => {
  const link = (server.announced.find((line) => line.includes("/setup?token=")) as string).replace(/^.* at /, "");
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  try {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(link.replace("/setup?", "//setup?"));
    await page.getByRole("heading", { name: "Set up Outpost" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/setup");
    await page.getByTestId("setup-username").fill("owner");
    await page.getByTestId("setup-password").fill("owner-password");
    await page.getByTestId("setup-confirm").fill("owner-password");
    await page.getByTestId("setup-submit").click();
    await page.getByTestId("current-user").filter({ hasText: "owner" }).waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    expect(pageErrors).toEqual([]);
  } finally {
    await context.close();
  }
});
