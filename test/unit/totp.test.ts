// Two-factor sign-in primitives: TOTP against the RFC 6238 vectors, base32 against RFC 4648, code
// windows and replay refusal, the otpauth URI, the QR code SVG and recovery codes.
import { describe, expect, test } from "bun:test";
import {
  base32Decode,
  base32Encode,
  generateRecoveryCodes,
  generateTotpSecret,
  matchTotpStep,
  normalizeRecoveryCode,
  otpauthUri,
  qrCodeSvg,
  totpCode,
} from "../../server/auth/totp";

const text = (value: string) => new TextEncoder().encode(value);
const rfcSecret = base32Encode(text("12345678901234567890"));
const stepMs = 30_000;

describe("TOTP codes", () => {
  // RFC 6238 Appendix B, SHA1 column.
  const vectors: [unixSeconds: number, code: string][] = [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ];
  for (const [unixSeconds, code] of vectors) {
    test(`at ${unixSeconds}s the 8-digit code is ${code} and the 6-digit code its last 6 digits`, () => {
      expect(totpCode(rfcSecret, unixSeconds * 1000, { digits: 8 })).toBe(code);
      expect(totpCode(rfcSecret, unixSeconds * 1000)).toBe(code.slice(2));
    });
  }

  test("a new secret is 20 random bytes in unpadded base32", () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(generateTotpSecret()).not.toBe(secret);
  });

  test("impossible options are refused", () => {
    expect(() => totpCode(rfcSecret, 0, { digits: 5 })).toThrow(RangeError);
    expect(() => totpCode(rfcSecret, 0, { stepSeconds: 0 })).toThrow(RangeError);
    expect(() => totpCode(rfcSecret, -1)).toThrow(RangeError);
  });
});

describe("base32", () => {
  // RFC 4648 §10, padding left off as base32Encode does.
  const vectors: [plain: string, encoded: string][] = [
    ["", ""],
    ["f", "MY"],
    ["fo", "MZXQ"],
    ["foo", "MZXW6"],
    ["foob", "MZXW6YQ"],
    ["fooba", "MZXW6YTB"],
    ["foobar", "MZXW6YTBOI"],
  ];
  for (const [plain, encoded] of vectors) {
    test(`"${plain}" encodes to "${encoded}" and back`, () => {
      expect(base32Encode(text(plain))).toBe(encoded);
      expect(new TextDecoder().decode(base32Decode(encoded))).toBe(plain);
    });
  }

  test("decoding ignores case, spaces and padding", () => {
    expect(new TextDecoder().decode(base32Decode("mzxw 6ytb oi======"))).toBe("foobar");
  });

  test("random bytes of every length survive a round trip", () => {
    for (let length = 0; length <= 41; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    }
  });

  test("invalid characters and impossible lengths are refused", () => {
    expect(() => base32Decode("MZXW1")).toThrow(/invalid character at position 5/);
    expect(() => base32Decode("MZ!Q")).toThrow(/invalid character/);
    expect(() => base32Decode("M")).toThrow(/impossible length/);
  });
});

describe("matching a code a user typed", () => {
  // Fixed secrets and time, so a chance collision between steps can't make a run flaky.
  const secret = rfcSecret;
  const otherSecret = base32Encode(text("another secret, 20 b"));
  const nowMs = 1_700_000_012_345;
  const nowStep = Math.floor(nowMs / stepMs);

  test("the current code matches and returns the current step, spaces tolerated", () => {
    const code = totpCode(secret, nowMs);
    expect(matchTotpStep(secret, code, { nowMs })).toBe(nowStep);
    expect(matchTotpStep(secret, ` ${code.slice(0, 3)} ${code.slice(3)} `, { nowMs })).toBe(nowStep);
  });

  test("with window 1 a code from the previous or next step matches, one from two steps ago does not", () => {
    expect(matchTotpStep(secret, totpCode(secret, nowMs - stepMs), { nowMs, window: 1 })).toBe(nowStep - 1);
    expect(matchTotpStep(secret, totpCode(secret, nowMs + stepMs), { nowMs, window: 1 })).toBe(nowStep + 1);
    expect(matchTotpStep(secret, totpCode(secret, nowMs - 2 * stepMs), { nowMs, window: 1 })).toBeNull();
    expect(matchTotpStep(secret, totpCode(secret, nowMs - stepMs), { nowMs, window: 0 })).toBeNull();
  });

  test("a code already used is refused when its step is passed back as afterStep", () => {
    const code = totpCode(secret, nowMs);
    const usedStep = matchTotpStep(secret, code, { nowMs });
    expect(usedStep).toBe(nowStep);
    expect(matchTotpStep(secret, code, { nowMs, afterStep: usedStep ?? Number.MAX_SAFE_INTEGER })).toBeNull();
    // An older code inside the window is refused too: it would replay an earlier sign-in.
    expect(matchTotpStep(secret, totpCode(secret, nowMs - stepMs), { nowMs, afterStep: nowStep })).toBeNull();
    // The next step's code is still accepted.
    expect(matchTotpStep(secret, totpCode(secret, nowMs + stepMs), { nowMs, afterStep: nowStep })).toBe(nowStep + 1);
  });

  test("wrong or malformed codes are refused", () => {
    const code = totpCode(secret, nowMs);
    const wrong = ((Number(code) + 1) % 1_000_000).toString().padStart(6, "0");
    expect(matchTotpStep(secret, wrong, { nowMs, window: 0 })).toBeNull();
    expect(matchTotpStep(otherSecret, code, { nowMs, window: 0 })).toBeNull();
    for (const malformed of ["", "12345", "1234567", "12a456", `${code}0`, totpCode(secret, nowMs, { digits: 8 })]) {
      expect(matchTotpStep(secret, malformed, { nowMs })).toBeNull();
    }
  });

  test("a window wider than 10 steps or a NaN afterStep is a programming error", () => {
    expect(() => matchTotpStep(secret, "123456", { nowMs, window: 11 })).toThrow(RangeError);
    expect(() => matchTotpStep(secret, "123456", { nowMs, afterStep: Number.NaN })).toThrow(RangeError);
  });
});

describe("enrolling an authenticator app", () => {
  test("the otpauth URI's fields parse back", () => {
    const secretBase32 = generateTotpSecret();
    const uri = otpauthUri({ issuer: "Outpost Lab & Co", account: "alice@example.org", secretBase32 });
    const url = new URL(uri);
    expect(url.protocol).toBe("otpauth:");
    expect(url.host).toBe("totp");
    expect(decodeURIComponent(url.pathname)).toBe("/Outpost Lab & Co:alice@example.org");
    expect(url.searchParams.get("secret")).toBe(secretBase32);
    expect(url.searchParams.get("issuer")).toBe("Outpost Lab & Co");
    expect(url.searchParams.get("algorithm")).toBe("SHA1");
    expect(url.searchParams.get("digits")).toBe("6");
    expect(url.searchParams.get("period")).toBe("30");
    expect(uri).not.toContain(" ");
  });

  test("a colon in the issuer or account is refused", () => {
    expect(() => otpauthUri({ issuer: "a:b", account: "alice", secretBase32: "MY" })).toThrow(/colon/);
    expect(() => otpauthUri({ issuer: "Outpost", account: "a:b", secretBase32: "MY" })).toThrow(/colon/);
  });

  test("the QR code is a scalable SVG with a white background", () => {
    const svg = qrCodeSvg(otpauthUri({ issuer: "Outpost", account: "alice", secretBase32: generateTotpSecret() }));
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toMatch(/viewBox="0 0 \d+ \d+"/);
    expect(svg).toContain('<rect fill="#ffffff"');
    expect(svg).not.toMatch(/<svg[^>]*\swidth=/);
  });
});

describe("recovery codes", () => {
  test("are distinct and shaped like k7f3-9qx2", () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
      expect(normalizeRecoveryCode(code)).toBe(code);
    }
    expect(generateRecoveryCodes(3)).toHaveLength(3);
    expect(generateRecoveryCodes(0)).toEqual([]);
    expect(() => generateRecoveryCodes(-1)).toThrow(RangeError);
  });

  test("normalize from loosely typed input", () => {
    expect(normalizeRecoveryCode("K7F3-9QX2")).toBe("k7f3-9qx2");
    expect(normalizeRecoveryCode(" k7f3 9qx2 ")).toBe("k7f3-9qx2");
    expect(normalizeRecoveryCode("k7f39qx2")).toBe("k7f3-9qx2");
    expect(normalizeRecoveryCode("k7 f3 - 9q x2")).toBe("k7f3-9qx2");
    // Look-alikes the alphabet leaves out are read as the digits they resemble.
    expect(normalizeRecoveryCode("OIL0-abcd")).toBe("0110-abcd");
    // Anything not 8 characters long stays without a dash and so matches no issued code.
    expect(normalizeRecoveryCode("k7f3-9qx")).toBe("k7f39qx");
  });
});
