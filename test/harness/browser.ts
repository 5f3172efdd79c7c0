// Debian's Chromium for browser tests, started with the flags this closed network needs, and a
// page signed in through the sign-in form as a user would.
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  // A person's browser runs in a UTF-8 locale; under CI's bare environment (C locale) Chromium
  // cannot open a chosen file whose name is not ASCII, and drops it. LC_ALL, since it overrides LANG.
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    env: { ...process.env, LC_ALL: "C.UTF-8" },
  });
}

/** A new browser context of `viewport` size, signed in as `username` through the sign-in form at `baseUrl`. */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  { viewport, username, password }: { viewport: { width: number; height: number }; username: string; password: string },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId("login-username").fill(username);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("current-user").waitFor({ timeout: 10_000 });
  return { context, page };
}

/** Whether the page fits the viewport's width (no sideways scrolling). */
export const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
