// Access tokens: short-lived HS256 JWTs (jose) signed with the key in <data>/secret, and keys
// derived from it for other purposes. Pure logic, no database. Opaque tokens (refresh, setup) are
// random bytes, stored only as SHA-256 hashes.

import { createHash, hkdfSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { Clock } from "../clock";
import { UnauthenticatedError } from "../errors";
import { isRole, type Role } from "./roles";

const ISSUER = "outpost";
const AUDIENCE = "outpost-api";

export interface AccessClaims {
  userId: string;
  sessionId: string;
  role: Role;
  expiresAtMs: number;
}

/** Reads the signing key, creating it (0600, written atomically) on first start. */
function loadOrCreateSecret(dataDir: string): Uint8Array {
  const path = join(dataDir, "secret");
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, randomBytes(32).toString("base64url"), { mode: 0o600 });
    renameSync(tmp, path);
  }
  chmodSync(path, 0o600);
  const text = readFileSync(path, "utf8").trim();
  if (text.length < 32) throw new Error(`${path} is too short to be a signing key; delete it to create a new one.`);
  return new TextEncoder().encode(text);
}

/**
 * A 32-byte key for one purpose (e.g. "totp-secrets"), derived from the signing key with
 * HKDF-SHA256, so keys for different purposes are independent and none reveals the signing key.
 * Replacing <data>/secret changes every derived key.
 */
export function deriveKey(secret: Uint8Array, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "", `outpost ${purpose}`, 32));
}

/** The keys of <data>/secret, as features get them (`core.serverKeys`). */
export interface ServerKeys {
  /** The signing key itself: for access tokens only. */
  signing: Uint8Array;
  /** A 32-byte key for one purpose, as `deriveKey` makes it: e.g. to seal stored secrets. */
  derive(purpose: string): Buffer;
}

/** Reads <data>/secret, creating it on first start; once, for every feature. */
export function loadServerKeys(dataDir: string): ServerKeys {
  const signing = loadOrCreateSecret(dataDir);
  return { signing, derive: (purpose) => deriveKey(signing, purpose) };
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

export function createTokenSigner(secret: Uint8Array, accessTtlSeconds: number, clock: Clock) {
  // Verifying the same token again is common (every request of a session); remember results
  // until the token expires, in a bounded map.
  const verified = new Map<string, AccessClaims>();
  const MAX_CACHED = 10_000;

  return {
    async signAccess(claims: { userId: string; sessionId: string; role: Role }): Promise<{ token: string; expiresAtMs: number }> {
      const nowSec = Math.floor(clock.now() / 1000);
      const token = await new SignJWT({ sid: claims.sessionId, role: claims.role })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(claims.userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(nowSec)
        .setExpirationTime(nowSec + accessTtlSeconds)
        .sign(secret);
      return { token, expiresAtMs: (nowSec + accessTtlSeconds) * 1000 };
    },

    /** Verifies signature, algorithm, issuer, audience and expiry; throws UnauthenticatedError. */
    async verifyAccess(token: string): Promise<AccessClaims> {
      const cached = verified.get(token);
      if (cached) {
        if (cached.expiresAtMs > clock.now()) return cached;
        verified.delete(token);
        throw new UnauthenticatedError("Your session token has expired; sign in again.");
      }
      try {
        const { payload } = await jwtVerify(token, secret, {
          algorithms: ["HS256"],
          issuer: ISSUER,
          audience: AUDIENCE,
          currentDate: new Date(clock.now()),
        });
        if (typeof payload.sub !== "string" || typeof payload.sid !== "string" || !isRole(payload.role) || typeof payload.exp !== "number")
          throw new UnauthenticatedError("Invalid session token.");
        const claims: AccessClaims = { userId: payload.sub, sessionId: payload.sid, role: payload.role, expiresAtMs: payload.exp * 1000 };
        if (verified.size >= MAX_CACHED) verified.delete(verified.keys().next().value as string);
        verified.set(token, claims);
        return claims;
      } catch (err) {
        if (err instanceof UnauthenticatedError) throw err;
        if (err instanceof joseErrors.JWTExpired)
          throw new UnauthenticatedError("Your session token has expired; sign in again.", { cause: err });
        throw new UnauthenticatedError("Invalid session token.", { cause: err });
      }
    },
  };
}

export type TokenSigner = ReturnType<typeof createTokenSigner>;
