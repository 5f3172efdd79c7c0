// How the Account page names the clients of sessions.
import { expect, test } from "bun:test";
import { describeUserAgent } from "../../../web/src/pages/Account/accountDisplay";

test.each([
  ["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"],
  [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0",
    "Edge on Windows",
  ],
  ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on macOS"],
  [
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
    "Chrome on Android",
  ],
  [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile Safari/604.1",
    "Safari on iOS",
  ],
  ["curl/8.5.0", "curl"],
  ["Bun/1.4.4", "Bun"],
])("%s reads as %s", (userAgent, expected) => {
  expect(describeUserAgent(userAgent)).toBe(expected);
});

test("an unknown client shows its header, cut to 60 characters; a missing one says so", () => {
  expect(describeUserAgent("my-script/1.0")).toBe("my-script/1.0");
  expect(describeUserAgent("x".repeat(100))).toBe("x".repeat(60));
  expect(describeUserAgent(null)).toBe("Unknown client");
});
