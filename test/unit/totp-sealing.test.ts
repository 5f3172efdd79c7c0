// TOTP secrets at rest: sealed with AES-256-GCM under a key derived from the signing key, bound to
// their user; secrets stored in clear by earlier versions still read.
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { deriveKey } from "../../server/auth/tokens";
import { generateTotpSecret, isSealedTotpSecret, openTotpSecret, sealTotpSecret } from "../../server/auth/totp";

const signingKey = new TextEncoder().encode(randomBytes(32).toString("base64url"));
const key = deriveKey(signingKey, "totp-secrets");

describe("sealing TOTP secrets", () => {
  test("a sealed secret opens to the secret for its user and shows nothing of it", () => {
    const secret = generateTotpSecret();
    const sealed = sealTotpSecret(key, "user-1", secret);
    expect(sealed).toStartWith("v1:");
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toContain(secret.slice(0, 8));
    expect(isSealedTotpSecret(sealed)).toBe(true);
    expect(openTotpSecret(key, "user-1", sealed)).toBe(secret);
    // A fresh IV each time: the same secret never seals to the same text.
    expect(sealTotpSecret(key, "user-1", secret)).not.toBe(sealed);
  });

  test("another user, another key or a changed byte does not open it", () => {
    const sealed = sealTotpSecret(key, "user-1", generateTotpSecret());
    expect(() => openTotpSecret(key, "user-2", sealed)).toThrow();
    const otherKey = deriveKey(new TextEncoder().encode(randomBytes(32).toString("base64url")), "totp-secrets");
    expect(() => openTotpSecret(otherKey, "user-1", sealed)).toThrow();
    const body = Buffer.from(sealed.slice(3), "base64url");
    body[20] = (body[20] ?? 0) ^ 1;
    expect(() => openTotpSecret(key, "user-1", `v1:${body.toString("base64url")}`)).toThrow();
    expect(() => openTotpSecret(key, "user-1", "v1:AAAA")).toThrow();
  });

  test("a secret stored in clear before encryption reads as it is", () => {
    const clear = generateTotpSecret();
    expect(isSealedTotpSecret(clear)).toBe(false);
    expect(openTotpSecret(key, "user-1", clear)).toBe(clear);
  });

  test("keys for different purposes differ, and neither is the signing key", () => {
    expect(key.length).toBe(32);
    expect(deriveKey(signingKey, "totp-secrets").equals(key)).toBe(true);
    expect(deriveKey(signingKey, "something-else").equals(key)).toBe(false);
    expect(Buffer.from(signingKey).includes(key.subarray(0, 8))).toBe(false);
  });
});
