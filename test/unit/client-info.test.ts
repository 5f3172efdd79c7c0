// Who a request comes from: the key limits count a client by (an IPv6 client by its /64), which
// peers may speak for their clients (the trustedProxies setting), and whose request id is logged.
import { describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { ConfigError } from "../../server/errors";
import { canonicalAddress, clientKey, createTrustedProxies, requestOrigin } from "../../server/http/client-info";

/** A server that reports `peer` as the address of every connection. */
const serverSeeing = (peer: string | null) =>
  ({
    requestIP: () => (peer === null ? null : { address: peer, port: 40_000, family: peer.includes(":") ? "IPv6" : "IPv4" }),
  }) as unknown as Server<unknown>;
const request = (headers: Record<string, string> = {}) => new Request("http://outpost.test/graphql", { headers });

describe("the key limits count a client by", () => {
  test.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["::FFFF:cb00:7107", "203.0.113.7"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:DB8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8::/64"],
    ["2001:0:0:1::5", "2001:0:0:1::/64"],
    ["fe80::1%eth0", "fe80::/64"],
    ["::1", "::/64"],
    ["::", "::/64"],
  ])("%s counts as %s", (address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  test("every address of one /64 is one client; the next /64 is another", () => {
    const keys = new Set(["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:dead:beef:0:1"].map(clientKey));
    expect(keys.size).toBe(1);
    expect(clientKey("2001:db8:1:3::1")).not.toBe(clientKey("2001:db8:1:2::1"));
  });

  test("an unknown address is '-'; something that is no address is kept as given, cut short", () => {
    expect(clientKey(null)).toBe("-");
    expect(clientKey("x".repeat(100))).toBe("x".repeat(64));
  });

  test("addresses are compared in one spelling", () => {
    expect(canonicalAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(canonicalAddress("0:0:0:0:0:0:0:1")).toBe(canonicalAddress("::1"));
    expect(canonicalAddress("localhost")).toBeNull();
    expect(canonicalAddress("127.0.0.1/8")).toBeNull();
  });
});

describe("trusted proxies", () => {
  test("none by default: a loopback peer's forwarded headers are ignored", () => {
    const origin = requestOrigin(request({ "x-forwarded-for": "198.51.100.9", "x-forwarded-proto": "https" }), serverSeeing("127.0.0.1"));
    expect(origin).toMatchObject({ ip: "127.0.0.1", clientKey: "127.0.0.1", secure: false });
  });

  test("a listed peer's last X-Forwarded-For entry and X-Forwarded-Proto are believed", () => {
    const trusted = createTrustedProxies("10.0.0.2, ::1");
    const headers = { "x-forwarded-for": "192.0.2.1, 2001:db8:5:6::9", "x-forwarded-proto": "https" };
    expect(requestOrigin(request(headers), serverSeeing("::1"), trusted)).toMatchObject({
      ip: "2001:db8:5:6::9",
      clientKey: "2001:db8:5:6::/64",
      secure: true,
    });
    // The same address spelled another way is the same peer.
    expect(requestOrigin(request(headers), serverSeeing("::ffff:10.0.0.2"), trusted).ip).toBe("2001:db8:5:6::9");
    expect(requestOrigin(request(headers), serverSeeing("10.0.0.3"), trusted)).toMatchObject({ ip: "10.0.0.3", secure: false });
  });

  test("a forwarded entry with a port loses the port; one that is no address leaves the peer's", () => {
    const trusted = createTrustedProxies("127.0.0.1");
    const from = (forwarded: string) => requestOrigin(request({ "x-forwarded-for": forwarded }), serverSeeing("127.0.0.1"), trusted).ip;
    expect(from("198.51.100.4:5123")).toBe("198.51.100.4");
    expect(from("[2001:db8::7]:443")).toBe("2001:db8::7");
    expect(from("unknown")).toBe("127.0.0.1");
    expect(from(`${"1".repeat(70)}`)).toBe("127.0.0.1");
  });

  test("an entry that is not an IP address stops the start with a ConfigError naming the setting", () => {
    expect(() => createTrustedProxies("127.0.0.1, proxy.local")).toThrow(ConfigError);
    expect(() => createTrustedProxies("10.0.0.0/8")).toThrow(/trustedProxies.*"10\.0\.0\.0\/8"/);
    expect(createTrustedProxies(" 127.0.0.1 , ").has("127.0.0.1")).toBe(true);
    expect(createTrustedProxies(null).has("127.0.0.1")).toBe(false);
  });

  test("a tunnel's local client can be trusted while it runs, without dropping a configured entry", () => {
    const trusted = createTrustedProxies("127.0.0.1");
    const stopTrustingTunnel = trusted.add("::1");
    const stopTrustingAgain = trusted.add("127.0.0.1");
    expect(trusted.has("::1")).toBe(true);
    stopTrustingTunnel();
    stopTrustingTunnel();
    stopTrustingAgain();
    expect(trusted.has("::1")).toBe(false);
    expect(trusted.has("127.0.0.1")).toBe(true);
  });
});

describe("tunnel entrances", () => {
  test("requests arriving on a tunnel's entrance name their visitor in its header; the public server's do not", () => {
    const trusted = createTrustedProxies(null);
    const entrance = serverSeeing(null);
    const publicServer = serverSeeing("127.0.0.1");
    const stop = trusted.addEntrance(entrance, "CF-Connecting-IP");
    const headers = { "cf-connecting-ip": "198.51.100.40", "x-forwarded-for": "203.0.113.1", "x-forwarded-proto": "https" };
    expect(requestOrigin(request(headers), entrance, trusted)).toMatchObject({
      ip: "198.51.100.40",
      clientKey: "198.51.100.40",
      secure: true,
    });
    expect(requestOrigin(request(headers), publicServer, trusted)).toMatchObject({ ip: "127.0.0.1", secure: false });
    // A visitor the tunnel does not name shares the one unknown-client key rather than the tunnel's own address.
    expect(requestOrigin(request(), entrance, trusted)).toMatchObject({ ip: null, clientKey: "-" });
    stop();
    expect(requestOrigin(request(headers), entrance, trusted).ip).toBeNull();
  });
});

describe("request ids", () => {
  test("ours is always made here; the client's is kept apart, only when well-formed", () => {
    const given = requestOrigin(request({ "x-request-id": "client-chosen-1" }), serverSeeing("127.0.0.1"));
    expect(given.requestId).not.toBe("client-chosen-1");
    expect(given.clientRequestId).toBe("client-chosen-1");
    expect(requestOrigin(request({ "x-request-id": "bad id\n" }), null).clientRequestId).toBeNull();
    expect(requestOrigin(request(), null).requestId).not.toBe(given.requestId);
  });
});
