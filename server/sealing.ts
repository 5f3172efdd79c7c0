// Sealing secrets for storage (two-factor secrets, webhook secrets): AES-256-GCM under a 32-byte key
// with a fresh random IV, bound to what owns the secret (a user id, a webhook id) as associated data,
// so a sealed value copied into another owner's row does not open. Stored as `v1:` +
// base64url(IV ‖ ciphertext ‖ tag); values sealed in that format by earlier versions keep opening.
// Pure logic: where keys come from and which rows hold sealed text is the caller's business.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const SEALED_PREFIX = "v1:";
const GCM_IV_BYTES = 12; // the size GCM is specified for
const GCM_TAG_BYTES = 16;

/** Encrypts `text` under `key` (32 bytes), bound to `boundTo`; the same text never seals to the same value twice. */
export function seal(key: Uint8Array, boundTo: string, text: string): string {
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(boundTo));
  const sealed = Buffer.concat([iv, cipher.update(text, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${SEALED_PREFIX}${sealed.toString("base64url")}`;
}

/** True for text made by `seal`, and for any other text that starts with `v1:`. */
export const isSealed = (stored: string) => stored.startsWith(SEALED_PREFIX);

/**
 * Returns the text `seal` sealed; text that is not sealed (stored in clear before secrets were
 * encrypted) comes back as it is. Throws an `Error`, which never contains the text, when the key or
 * `boundTo` differ or the sealed value was changed.
 */
export function open(key: Uint8Array, boundTo: string, stored: string): string {
  if (!isSealed(stored)) return stored;
  const sealed = Buffer.from(stored.slice(SEALED_PREFIX.length), "base64url");
  if (sealed.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new Error("A sealed value is too short.");
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, GCM_IV_BYTES)).setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(GCM_IV_BYTES, sealed.length - GCM_TAG_BYTES)), decipher.final()]).toString("utf8");
}
