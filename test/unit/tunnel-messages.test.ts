// What tunnel providers accept and what of their messages reaches lastError, the log and the audit
// log: the default localtunnel server (a host name) is usable, and no provider message keeps a token.
import { describe, expect, test } from "bun:test";
import { withoutTokens } from "../../server/tunnels/connection";
import { localtunnelDriver } from "../../server/tunnels/localtunnel";

describe("localtunnel options", () => {
  const driver = localtunnelDriver({ defaultServer: "localtunnel.me" });

  test("the default server, a host name, is accepted, as is a host name or URL given as the server", () => {
    expect(driver.checkOptions({}, false)).toBeNull();
    expect(driver.checkOptions({ server: "tunnels.example.com" }, false)).toBeNull();
    expect(driver.checkOptions({ server: "http://127.0.0.1:8081" }, false)).toBeNull();
  });

  test("a server that is no host name or http(s) URL is refused", () => {
    expect(driver.checkOptions({ server: "ftp://example.com" }, false)).toContain("host name or an http:// or https:// URL");
    expect(driver.checkOptions({ server: "https://" }, false)).toContain("host name or an http:// or https:// URL");
  });
});

describe("provider messages without tokens", () => {
  test("ngrok's refusal quoting the authtoken keeps nothing after 'authtoken:'", () => {
    const message =
      "The authtoken you specified does not look like a proper ngrok tunnel authtoken.\nYour authtoken: 2abcSECRETdef_xyz\nERR_NGROK_105";
    const cleaned = withoutTokens(message, [null]);
    expect(cleaned).not.toContain("2abcSECRETdef_xyz");
    expect(cleaned).toContain("Your authtoken: [redacted]");
  });

  test("the supplied and configured tokens are taken out wherever they appear", () => {
    const cleaned = withoutTokens("failed with token eyGiven and eyConfigured (eyGiven again)", ["eyGiven", "eyConfigured", undefined]);
    expect(cleaned).toBe("failed with token [redacted] and [redacted] ([redacted] again)");
  });
});
