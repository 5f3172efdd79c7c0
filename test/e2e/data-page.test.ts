// The Data page's work on many entries, in Chromium: ticking entries and deleting them after
// confirming; exporting a prefix to a JSON file and importing that file back (refused while the
// entries exist, unless replacing is ticked); and on a phone the list's first row in view on
// arrival, with nothing wider than the screen.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";
import type { GraphqlClient } from "../harness/client";

const SET = "mutation ($key: String!, $value: JSON!, $ttl: Int) { setKv(key: $key, value: $value, ttlSeconds: $ttl) { version } }";
const GET = "query ($key: String!) { kv(key: $key) { value expiresAt } }";

let browser: Browser;
let server: TestApp;
let api: GraphqlClient;
/** Where downloaded exports are kept, as a user's downloads folder would. */
let downloads: string;

beforeAll(async () => {
  downloads = mkdtempSync(join(tmpdir(), "outpost-downloads-"));
  browser = await launchChromium();
  server = await startTestApp();
  await server.app.services.users.create({ username: "keeper", password: "keeper-password", role: "operator" });
  api = await server.signIn("keeper", "keeper-password");
});
afterAll(async () => {
  await browser.close();
  await server.stop();
  rmSync(downloads, { recursive: true, force: true });
});

async function openData(viewport: { width: number; height: number }, prefix = "") {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await page.goto(`${server.url}/login`);
  await page.getByTestId("login-username").fill("keeper");
  await page.getByTestId("login-password").fill("keeper-password");
  await page.getByTestId("login-submit").click();
  await page.getByTestId("current-user").waitFor({ timeout: 10_000 });
  await page.goto(`${server.url}/data${prefix ? `?prefix=${encodeURIComponent(prefix)}` : ""}`);
  await page.getByTestId("live-status").filter({ hasText: "live" }).waitFor({ timeout: 10_000 });
  return { context, page, pageErrors };
}

const row = (page: Page, key: string) => page.locator(`[data-testid="kv-row"][data-key="${key}"]`);
const tick = (page: Page, key: string) => page.locator(`[data-testid="kv-select"][data-key="${key}"]`);
const notice = (page: Page) => page.getByTestId("kv-tools-notice");
const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

describe("on a desktop screen", () => {
  const desktop = { width: 1280, height: 800 };

  test("two ticked entries are deleted only after confirming, and the rest stays", async () => {
    for (const key of ["pick/a", "pick/b", "pick/c"]) await api.data(SET, { key, value: key });
    const { context, page, pageErrors } = await openData(desktop, "pick/");
    await row(page, "pick/c").waitFor();

    await tick(page, "pick/a").check();
    await tick(page, "pick/b").check();
    const deleteSelected = page.getByTestId("kv-delete-selected");
    expect(await deleteSelected.textContent()).toBe("Delete 2 selected");

    // Cancelled: nothing happens.
    const dialog = page.getByTestId("confirm-dialog");
    await deleteSelected.click();
    await dialog.filter({ hasText: "Delete 2 entries?" }).waitFor();
    await page.getByTestId("confirm-cancel").click();
    await dialog.waitFor({ state: "hidden" });
    expect(await row(page, "pick/a").count()).toBe(1);
    expect(await tick(page, "pick/a").isChecked()).toBe(true);

    await deleteSelected.click();
    await dialog.filter({ hasText: "This cannot be undone." }).waitFor();
    expect(await page.getByTestId("confirm-accept").textContent()).toBe("Delete entries");
    await page.getByTestId("confirm-accept").click();
    await notice(page).filter({ hasText: "Deleted 2 entries." }).waitFor();
    await row(page, "pick/a").waitFor({ state: "detached" });
    await row(page, "pick/b").waitFor({ state: "detached" });
    expect(await row(page, "pick/c").count()).toBe(1);
    expect(await deleteSelected.count()).toBe(0);
    expect(await api.data(GET, { key: "pick/a" })).toEqual({ kv: null });
    expect(await api.data(GET, { key: "pick/b" })).toEqual({ kv: null });
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  test("an export downloads a JSON file that imports back, refused while the entries exist unless replacing", async () => {
    const site = { title: "Outpost", nested: { list: [1, "two", { three: true }] } };
    await api.data(SET, { key: "ship/site", value: site });
    await api.data(SET, { key: "ship/count", value: 7 });
    await api.data(SET, { key: "ship/lease", value: "holder", ttl: 600 });
    const { context, page, pageErrors } = await openData(desktop, "ship/");
    await row(page, "ship/site").waitFor();

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("kv-export").click()]);
    const fileName = download.suggestedFilename();
    expect(fileName).toMatch(/^outpost-data-ship-\d{8}-\d{6}\.json$/);
    const path = join(downloads, fileName);
    await download.saveAs(path);
    // The page keeps the file's URL for a while: revoked at once, Firefox and Safari may cancel the download.
    const probe = await context.newPage();
    const kept = await probe.goto(download.url());
    expect(await kept?.text()).toBe(readFileSync(path, "utf8"));
    await probe.close();
    const file = JSON.parse(readFileSync(path, "utf8"));
    expect(file.entries).toEqual({ "ship/count": 7, "ship/lease": "holder", "ship/site": site });
    expect(Object.keys(file.ttlSeconds)).toEqual(["ship/lease"]);
    expect(file.ttlSeconds["ship/lease"]).toBeGreaterThan(500);
    expect(file.ttlSeconds["ship/lease"]).toBeLessThanOrEqual(600);
    await notice(page).filter({ hasText: "Exported 3 entries" }).waitFor();

    // While the entries exist, importing without "replace" is refused, naming each, and sets nothing.
    await page.getByTestId("kv-import-file").setInputFiles(path);
    await page.getByTestId("kv-import-summary").filter({ hasText: "3 entries, 1 with a time to live" }).waitFor();
    await page.getByTestId("kv-import-submit").click();
    await page.getByTestId("kv-import-refused").waitFor();
    expect(await page.getByTestId("kv-import-refused").locator("li").count()).toBe(3);
    await page.getByTestId("error").filter({ hasText: "nothing was imported" }).waitFor();

    // Deleted elsewhere, then imported from the file: back as they were.
    await api.data('mutation { deleteKvMany(keys: ["ship/site", "ship/count", "ship/lease"]) }');
    await row(page, "ship/site").waitFor({ state: "detached" });
    await page.getByTestId("kv-import-submit").click();
    await notice(page)
      .filter({ hasText: `Imported 3 entries from ${fileName}.` })
      .waitFor();
    await row(page, "ship/site").waitFor();
    expect(await api.data(GET, { key: "ship/site" })).toEqual({ kv: { value: site, expiresAt: null } });
    const lease = await api.data<{ kv: { value: string; expiresAt: string } }>(GET, { key: "ship/lease" });
    expect(lease.kv.value).toBe("holder");
    expect(Date.parse(lease.kv.expiresAt) - Date.now()).toBeGreaterThan(500_000);

    // Replacing is a choice: the same file again, with it ticked, sets new versions.
    await page.getByTestId("kv-import-file").setInputFiles(path);
    await page.getByTestId("kv-import-replace").check();
    await page.getByTestId("kv-import-submit").click();
    await notice(page).filter({ hasText: "Imported 3 entries" }).waitFor();
    expect(await page.getByTestId("kv-import-preview").count()).toBe(0);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});

describe("on a phone screen", () => {
  const phone = { width: 375, height: 667 };

  test("the list's first row is in view on arrival, the new-entry form unfolds when used, nothing is wider than the screen", async () => {
    await api.data(SET, { key: "a-phone/first", value: { note: "the first row" } });
    await api.data(SET, { key: `a-phone/${"long-key-".repeat(12)}`, value: "x".repeat(300), ttl: 3600 });
    const { context, page, pageErrors } = await openData(phone);
    const first = page.getByTestId("kv-row").first();
    await first.waitFor();
    expect(await first.getAttribute("data-key")).toBe("a-phone/first");
    const box = await first.boundingBox();
    expect(box).not.toBeNull();
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect((box?.y ?? 0) + (box?.height ?? 0)).toBeLessThanOrEqual(phone.height);
    expect(await page.getByTestId("kv-new-value").isVisible()).toBe(false);
    expect(await fitsWidth(page)).toBe(true);

    // The form opens where it is, and the tools for many entries fit too.
    await page.getByTestId("kv-new-key").fill("a-phone/new");
    await page.getByTestId("kv-new-value").waitFor();
    await tick(page, "a-phone/first").check();
    await page.getByTestId("kv-delete-selected").waitFor();
    expect(await row(page, "a-phone/first").textContent()).toContain("never expires");
    expect(await fitsWidth(page)).toBe(true);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
