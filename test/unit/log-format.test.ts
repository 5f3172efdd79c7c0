// The two log formats: JSON lines (the default, for the journal and jq) and text lines for a
// person at a terminal (`--log-format text`), both with every field and an error's stack.
import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../server/config";
import { createLogger } from "../../server/log";

function logged(format?: "json" | "text") {
  const lines: string[] = [];
  const log = createLogger({ format, write: (line) => lines.push(line) }).child({ requestId: "r1" });
  return { log, lines };
}

describe("log formats", () => {
  test("JSON by default: one object per line with the time, level, message and fields", () => {
    const { log, lines } = logged();
    log.info("listening", { url: "http://localhost:8080", port: 8080 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: "info",
      msg: "listening",
      requestId: "r1",
      url: "http://localhost:8080",
      port: 8080,
    });
  });

  test("text: time, level, message and key=value, values that need it quoted", () => {
    const { log, lines } = logged("text");
    log.warn("could not make a data file private", { path: "/var/lib/outpost/my file", mode: "600", tries: 2 });
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN {2}could not make a data file private requestId=r1 path="\/var\/lib\/outpost\/my file" mode=600 tries=2\n$/,
    );
  });

  test("text: an error shows its message on the line and its stack indented below", () => {
    const { log, lines } = logged("text");
    log.error("request failed", { err: new Error("disk on fire") });
    const [first, ...stack] = (lines[0] as string).trimEnd().split("\n");
    expect(first).toEndWith('ERROR request failed requestId=r1 err="disk on fire"');
    expect(stack[0]).toBe("    Error: disk on fire");
    expect(stack.length).toBeGreaterThan(1);
  });

  test("--log-format takes json or text, and says so otherwise", () => {
    expect(loadConfig({ flags: { data: "/nonexistent", "log-format": "text" }, env: {} }).logFormat).toBe("text");
    expect(loadConfig({ flags: { data: "/nonexistent" }, env: {} }).logFormat).toBe("json");
    expect(() => loadConfig({ flags: { data: "/nonexistent" }, env: { OUTPOST_LOG_FORMAT: "xml" } })).toThrow(
      'OUTPOST_LOG_FORMAT must be json or text, got "xml".',
    );
  });
});
