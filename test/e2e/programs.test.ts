// The Programs page in Debian's Chromium: upload a ZIP project, run it and see its output stream in
// (stderr apart, colours rendered), cancel a long run, find both in the history; on a desktop and
// on a phone-sized screen, without horizontal scrolling.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { buildZip } from "../fixtures/program-archives";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { launchChromium } from "../harness/browser";

let browser: Browser;
const scratch = mkdtempSync(join(tmpdir(), "outpost-programs-e2e-"));
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
      server = await startTestApp({ config: { runsStopGraceMs: 500 } });
    });
    afterAll(() => server.stop());

    test("upload a ZIP, run it and watch its output, cancel a long run", async () => {
      const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (err) => pageErrors.push(err.message));

      const project = join(scratch, `${viewport.name}-greeter.zip`);
      writeFileSync(
        project,
        buildZip([
          {
            name: "main.py",
            text: "import sys, os\nprint('\\x1b[32mhello\\x1b[0m', ' '.join(sys.argv[1:]), os.environ.get('WHO'))\nprint('warned', file=sys.stderr)\n",
          },
          { name: "lib/util.py", text: "" },
        ]),
      );
      const long = join(scratch, "long.sh");
      writeFileSync(long, "echo started\nsleep 1000\n");

      await page.goto(`${server.url}/programs`);
      await page.getByTestId("login-username").fill("admin");
      await page.getByTestId("login-password").fill(ADMIN_PASSWORD);
      await page.getByTestId("login-submit").click();
      await page.getByTestId("program-upload-choose").waitFor({ timeout: 10_000 });

      await page.getByTestId("program-upload-input").setInputFiles(project);
      await page
        .getByTestId("program-panel")
        .filter({ hasText: `${viewport.name}-greeter` })
        .waitFor({ timeout: 10_000 });
      expect(await page.getByTestId("program-entry").inputValue()).toBe("main.py");
      // Its files as a tree: the lib folder opens and closes.
      await page.locator(".program-files > summary").click();
      const lib = page.getByTestId("program-files").locator("details").filter({ hasText: "util.py" });
      await lib.locator("summary", { hasText: "lib/" }).click();
      expect(await lib.getAttribute("open")).toBeNull();
      await lib.locator("summary").click();
      await lib.getByText("util.py").waitFor();

      await page.getByTestId("run-args").fill('from "the page"');
      await page.getByTestId("run-env").fill("WHO=tester");
      await page.getByTestId("run-submit").click();
      await page.locator('[data-testid="run-view"][data-status="SUCCEEDED"]').waitFor({ timeout: 15_000 });
      const output = page.getByTestId("run-output");
      await output.filter({ hasText: "hello from the page tester" }).waitFor();
      expect(await output.locator(".ansi-2").textContent()).toBe("hello");
      expect(await output.locator(".run-stderr").textContent()).toBe("warned\n");
      expect(await output.textContent()).not.toContain("\u001b");

      await page.getByTestId("program-upload-input").setInputFiles(long);
      await page.getByTestId("program-panel").filter({ hasText: "long.sh" }).waitFor({ timeout: 10_000 });
      await page.getByTestId("run-submit").click();
      await output.filter({ hasText: "started" }).waitFor({ timeout: 10_000 });
      await page.locator('[data-testid="run-view"][data-status="RUNNING"]').waitFor();
      await page.getByTestId("run-cancel").click();
      await page.locator('[data-testid="run-view"][data-status="CANCELLED"]').waitFor({ timeout: 10_000 });
      await page.getByTestId("history-row").first().waitFor();

      // The history follows runs started elsewhere (another tab, the API) as they change.
      const api = await server.admin();
      const { programs } = await api.data<{ programs: { nodes: { id: string; name: string }[] } }>("{ programs { nodes { id name } } }");
      const longId = programs.nodes.find((p) => p.name === "long.sh")?.id;
      const { startRun } = await api.data<{ startRun: { id: string } }>("mutation ($p: ID!) { startRun(programId: $p) { id } }", {
        p: longId,
      });
      const history = page.locator(".run-history");
      await history.locator("li", { hasText: "RUNNING" }).waitFor({ timeout: 10_000 });
      await api.data("mutation ($id: ID!) { cancelRun(id: $id) { id } }", { id: startRun.id });
      await history.locator("li", { hasText: "RUNNING" }).waitFor({ state: "detached", timeout: 10_000 });
      expect(await history.locator("li", { hasText: "CANCELLED" }).count()).toBe(2);

      // Renamed in place.
      await page.getByTestId("program-name").fill(`${viewport.name} sleeper`);
      await page.getByTestId("program-rename").click();
      await page
        .getByTestId("program-panel")
        .locator("h2", { hasText: `${viewport.name} sleeper` })
        .waitFor({ timeout: 10_000 });

      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 60_000);
  });
}
