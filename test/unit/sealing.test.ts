// Secrets at rest: sealed with AES-256-GCM under a key derived from the signing key, bound to their
// owner; values sealed by earlier versions still open, and secrets stored in clear still read.
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { deriveKey } from "../../server/auth/tokens";
import { generateTotpSecret } from "../../server/auth/totp";
import { isSealed, open, seal } from "../../server/sealing";

const signingKey = new TextEncoder().encode(randomBytes(32).toString("base64url"));
const key = deriveKey(signingKey, "totp-secrets");

describe("sealing secrets", () => {
  test("a sealed secret opens to the secret for its owner and shows nothing of it", () => {
    const secret = generateTotpSecret();
    const sealed = seal(key, "user-1", secret);
    expect(sealed).toStartWith("v1:");
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toContain(secret.slice(0, 8));
    expect(isSealed(sealed)).toBe(true);
    expect(open(key, "user-1", sealed)).toBe(secret);
    // A fresh IV each time: the same secret never seals to the same text.
    expect(seal(key, "user-1", secret)).not.toBe(sealed);
  });

  test("any text seals and opens whole, a webhook secret that looks sealed included", () => {
    for (const text of ["", "v1:not-sealed-at-all", "pässwörd 🔑 with spaces", "x".repeat(1000)]) {
      expect(open(key, "7", seal(key, "7", text))).toBe(text);
    }
  });

  test("another owner, another key or a changed byte does not open it, and the error shows nothing of it", () => {
    const secret = generateTotpSecret();
    const sealed = seal(key, "user-1", secret);
    expect(() => open(key, "user-2", sealed)).toThrow();
    const otherKey = deriveKey(new TextEncoder().encode(randomBytes(32).toString("base64url")), "totp-secrets");
    expect(() => open(otherKey, "user-1", sealed)).toThrow();
    const body = Buffer.from(sealed.slice(3), "base64url");
    body[20] = (body[20] ?? 0) ^ 1;
    expect(() => open(key, "user-1", `v1:${body.toString("base64url")}`)).toThrow();
    expect(() => open(key, "user-1", "v1:AAAA")).toThrow();
    const error = (() => {
      try {
        return open(otherKey, "user-1", sealed);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).not.toContain(secret);
  });

  test("a value sealed by an earlier version (TOTP secrets in users' databases) still opens", () => {
    // Made by sealTotpSecret in server/auth/totp.ts before sealing moved to server/sealing.ts.
    const fixtureKey = deriveKey(new TextEncoder().encode("fixture-signing-key-0123456789abcdefghijkl"), "totp-secrets");
    const storedByEarlierVersion = "v1:9o2_xCYt-KL8PS7Pp841ir4Xp4AqTPu4DtpR1uHXuknDSBawi3YFavt6Oyk6YjuWYE7BEp7uF8mxLcvM";
    expect(open(fixtureKey, "user-1", storedByEarlierVersion)).toBe("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    expect(() => open(fixtureKey, "user-2", storedByEarlierVersion)).toThrow();
  });

  test("a secret stored in clear before encryption reads as it is", () => {
    const clear = generateTotpSecret();
    expect(isSealed(clear)).toBe(false);
    expect(open(key, "user-1", clear)).toBe(clear);
  });

  test("keys for different purposes differ, and neither is the signing key", () => {
    expect(key.length).toBe(32);
    expect(deriveKey(signingKey, "totp-secrets").equals(key)).toBe(true);
    expect(deriveKey(signingKey, "alert-webhook-secrets").equals(key)).toBe(false);
    expect(Buffer.from(signingKey).includes(key.subarray(0, 8))).toBe(false);
  });
});
