// Two-factor sign-in primitives: TOTP secrets and codes (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1),
// RFC 4648 base32, the otpauth:// URI and its QR code for authenticator apps, and one-time recovery
// codes. Pure logic: no database, no GraphQL. Storing secrets (sealed, server/sealing.ts), the last
// used step and recovery code hashes is the caller's job.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { renderSVG } from "uqr";

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_BYTES = 20; // 160 bits, the HMAC-SHA1 output size recommended by RFC 4226 §4.
// What authenticator apps assume when the URI leaves them out; matchTotpStep and otpauthUri use these.
const TOTP_DIGITS = 6;
const TOTP_STEP_SECONDS = 30;
// Crockford's base32 alphabet, lowercased: no i, l, o or u, so no code has two look-alike characters.
const RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const RECOVERY_CODE_CHARS = 8;
// RFC 6238 §5.2 asks for at most one step of network delay; more widens the guessing window.
const MAX_WINDOW_STEPS = 10;

/** Returns a new TOTP secret: 20 random bytes as RFC 4648 base32 without padding (32 characters). */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(SECRET_BYTES));
}

/** Encodes bytes as RFC 4648 base32 (uppercase), without `=` padding. */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bufferedBits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff; // at most 4 + 8 bits are ever pending
    bufferedBits += 8;
    while (bufferedBits >= 5) {
      bufferedBits -= 5;
      out += BASE32_ALPHABET[(buffer >> bufferedBits) & 31];
    }
  }
  if (bufferedBits > 0) out += BASE32_ALPHABET[(buffer << (5 - bufferedBits)) & 31];
  return out;
}

/**
 * Decodes RFC 4648 base32. Case-insensitive; whitespace and `=` padding are ignored. Throws an
 * `Error` on a character outside the alphabet or a length no encoder produces (1, 3 or 6 characters
 * past a multiple of 8). Leftover bits in the last character are dropped.
 */
export function base32Decode(text: string): Uint8Array {
  const clean = text.replace(/[\s=]+/g, "").toUpperCase();
  if ([1, 3, 6].includes(clean.length % 8)) throw new Error(`Base32 text has an impossible length (${clean.length} characters).`);
  const out = new Uint8Array(Math.floor((clean.length * 5) / 8));
  let buffer = 0;
  let bufferedBits = 0;
  let written = 0;
  for (let i = 0; i < clean.length; i++) {
    const value = BASE32_ALPHABET.indexOf(clean.charAt(i));
    // Position only: the text is usually a secret, so it stays out of the message.
    if (value < 0) throw new Error(`Base32 text has an invalid character at position ${i + 1}.`);
    buffer = ((buffer << 5) | value) & 0xfff;
    bufferedBits += 5;
    if (bufferedBits >= 8) {
      bufferedBits -= 8;
      out[written++] = (buffer >> bufferedBits) & 0xff;
    }
  }
  return out;
}

/**
 * Returns the TOTP code (RFC 6238, HMAC-SHA1, RFC 4226 dynamic truncation) for the time step that
 * contains `atMs`, zero-padded to `digits`. Throws a `RangeError` for a negative or non-finite `atMs`,
 * `digits` outside 6..10 or a non-positive `stepSeconds`; throws as `base32Decode` does.
 */
export function totpCode(
  secretBase32: string,
  atMs: number,
  { digits = TOTP_DIGITS, stepSeconds = TOTP_STEP_SECONDS }: { digits?: number; stepSeconds?: number } = {},
): string {
  if (!Number.isInteger(stepSeconds) || stepSeconds <= 0)
    throw new RangeError(`stepSeconds must be a positive integer, got ${stepSeconds}.`);
  if (!Number.isFinite(atMs) || atMs < 0) throw new RangeError(`atMs must be a time at or after 1970, got ${atMs}.`);
  return hotpCode(base32Decode(secretBase32), Math.floor(atMs / 1000 / stepSeconds), digits);
}

/** RFC 4226 HOTP for one counter value. */
function hotpCode(key: Uint8Array, counter: number, digits: number): string {
  if (!Number.isInteger(digits) || digits < 6 || digits > 10)
    throw new RangeError(`digits must be an integer from 6 to 10, got ${digits}.`);
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`The time step must be a non-negative integer, got ${counter}.`);
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(message).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return (binary % 10 ** digits).toString().padStart(digits, "0");
}

/**
 * Checks a 6-digit code against the 30-second time steps from `window` before to `window` after the
 * one containing `nowMs`. Whitespace anywhere in `code` is ignored ("123 456"). Steps `<= afterStep`
 * (and negative steps) are refused, so a caller that stores the returned step and passes it back as
 * `afterStep` refuses a replayed code. Each candidate is compared in constant time and every step
 * in the window is tried, so the time taken does not tell which step matched.
 *
 * Returns the matched time-step number (`floor(unixSeconds / 30)`), or null for a code that is
 * malformed, wrong, outside the window or already used. If the code matches more than one step
 * (a chance collision) the latest is returned, which refuses the most later replays. Throws a
 * `RangeError` for a `window` that is not an integer from 0 to 10, a non-finite `nowMs` or a
 * non-integer `afterStep`; throws as `base32Decode` does.
 */
export function matchTotpStep(
  secretBase32: string,
  code: string,
  { nowMs = Date.now(), window = 1, afterStep = -1 }: { nowMs?: number; window?: number; afterStep?: number } = {},
): number | null {
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW_STEPS)
    throw new RangeError(`window must be an integer from 0 to ${MAX_WINDOW_STEPS}, got ${window}.`);
  // A NaN here would make every comparison false and quietly accept replays or match nothing.
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be a finite time, got ${nowMs}.`);
  if (!Number.isInteger(afterStep)) throw new RangeError(`afterStep must be an integer, got ${afterStep}.`);
  const key = base32Decode(secretBase32);
  const candidate = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(candidate)) return null;
  const candidateBytes = Buffer.from(candidate);
  const nowStep = Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);
  let matchedStep: number | null = null;
  for (let step = nowStep - window; step <= nowStep + window; step++) {
    if (step < 0 || step <= afterStep) continue;
    if (timingSafeEqual(Buffer.from(hotpCode(key, step, TOTP_DIGITS)), candidateBytes)) matchedStep = step;
  }
  return matchedStep;
}

/**
 * Returns the `otpauth://totp/...` URI that authenticator apps import (usually from a QR code), with
 * issuer and account percent-encoded and the SHA1 / 6 digits / 30 s parameters spelled out. Throws an
 * `Error` if issuer or account contains a colon, which the label format cannot carry.
 */
export function otpauthUri({ issuer, account, secretBase32 }: { issuer: string; account: string; secretBase32: string }): string {
  if (issuer.includes(":") || account.includes(":")) throw new Error("An otpauth issuer or account name cannot contain a colon.");
  // encodeURIComponent rather than URLSearchParams: some apps show a "+" for a space literally.
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = [
    `secret=${encodeURIComponent(secretBase32.replace(/[\s=]+/g, "").toUpperCase())}`,
    `issuer=${encodeURIComponent(issuer)}`,
    "algorithm=SHA1",
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_STEP_SECONDS}`,
  ].join("&");
  return `otpauth://totp/${label}?${query}`;
}

/**
 * Returns an SVG document of `text` as a QR code: black on an opaque white background with the
 * 4-module quiet zone the QR standard asks for (so it scans on a dark page), and a viewBox but no
 * fixed size, so it scales to whatever box the page gives it.
 */
export function qrCodeSvg(text: string): string {
  // ECC level M survives a little glare or moiré when scanned off a screen.
  return renderSVG(text, { ecc: "M", border: 4, whiteColor: "#ffffff", blackColor: "#000000" });
}

/**
 * Returns `count` distinct random recovery codes shaped like `k7f3-9qx2`: 8 characters (40 random
 * bits) from a lowercase base32 alphabet without i, l, o or u, with a dash after the fourth.
 * Throws a `RangeError` if `count` is not a non-negative integer.
 */
export function generateRecoveryCodes(count = 10): string[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}.`);
  const codes = new Set<string>();
  while (codes.size < count) {
    // 256 is a multiple of 32, so masking a byte picks each character with equal chance.
    const chars = Array.from(randomBytes(RECOVERY_CODE_CHARS), (byte) => RECOVERY_ALPHABET.charAt(byte & 31));
    codes.add(`${chars.slice(0, 4).join("")}-${chars.slice(4).join("")}`);
  }
  return [...codes];
}

/**
 * Normalizes a recovery code as a user typed it to the form `generateRecoveryCodes` returns, so it
 * can be hashed and compared: lowercases, drops whitespace and dashes, reads the look-alikes o as 0
 * and i or l as 1, then puts the dash back after the fourth character. Never throws: input that is
 * not 8 characters afterwards comes back without a dash and matches no issued code.
 */
export function normalizeRecoveryCode(input: string): string {
  const chars = input
    .toLowerCase()
    .replace(/[\s-]+/g, "")
    .replace(/o/g, "0")
    .replace(/[il]/g, "1");
  return chars.length === RECOVERY_CODE_CHARS ? `${chars.slice(0, 4)}-${chars.slice(4)}` : chars;
}
