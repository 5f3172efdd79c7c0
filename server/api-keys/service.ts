// API keys: created by a user with a name, scopes (never more than the creator's role) and an
// optional expiry; the secret is shown once and stored only as a hash. A key acts for its owner
// with the intersection of its scopes and the owner's current role.
import { randomUUID } from "node:crypto";
import type { CredentialEnd } from "../auth/credential-end";
import type { AccessControl } from "../auth/permissions";
import { hashToken, randomToken } from "../auth/tokens";
import { can, rejected, type SignedInViewer, type Viewer } from "../auth/viewer";
import type { CacheFactory } from "../cache";
import type { Clock } from "../clock";
import { ForbiddenError, InvalidInputError, LimitExceededError, NotFoundError } from "../errors";
import type { EventBus } from "../events";
import type { ApiKey, ApiKeyPosition, ApiKeyState, ApiKeyStore } from "./store";

export type { ApiKey } from "./store";

/** One page of keys, newest first. */
export interface ApiKeyPage {
  keys: ApiKey[];
  hasNextPage: boolean;
}

/** The opaque position of `key` in a list of keys, for `after`. */
export const apiKeyCursor = (key: ApiKey) => `${key.createdAt.getTime()}:${key.id}`;

function parseCursor(cursor: string): ApiKeyPosition | null {
  if (cursor === "") return null;
  const match = /^(\d{1,16}):(.{1,64})$/.exec(cursor);
  if (!match) throw new InvalidInputError("after is not a cursor returned by this list.");
  return { createdAtMs: Number(match[1]), id: match[2] as string };
}

const SECRET_PREFIX = "opk_";
const SHOWN_PREFIX_LENGTH = 12;
const CACHE_MS = 2_000;
const MAX_CACHED = 10_000;
const LAST_USED_RESOLUTION_MS = 60_000;

type KeyEnd = Extract<CredentialEnd, "key-revoked" | "expired" | "account-disabled">;
const KEY_REFUSALS: Record<KeyEnd, string> = {
  "key-revoked": "This API key was revoked.",
  expired: "This API key has expired.",
  "account-disabled": "The owner of this API key is disabled.",
};

export interface ApiKeyServiceOptions {
  store: ApiKeyStore;
  events: EventBus;
  access: AccessControl;
  clock: Clock;
  caches: CacheFactory;
  /** How many keys one user may hold that are neither revoked nor expired. */
  maxActiveKeysPerUser?: number;
  /** The largest page `listOwn` and `listAll` return. */
  maxPageSize?: number;
}

export function createApiKeyService({
  store,
  events,
  access,
  clock,
  caches,
  maxActiveKeysPerUser = 50,
  maxPageSize = 200,
}: ApiKeyServiceOptions) {
  const now = () => clock.now();
  // Key state is read on every request: keep it briefly, and forget an owner's keys the moment
  // their credentials change.
  const cache = caches<ApiKeyState | null>({ ttlMs: CACHE_MS, maxEntries: MAX_CACHED });
  events.on("auth.credentials-changed", ({ userId }) => cache.forget((state) => !state || state.key.userId === userId));

  /** Why the key may not be used now, or null when it may. */
  const keyEnd = (state: ApiKeyState): KeyEnd | null => {
    if (state.key.revokedAt) return "key-revoked";
    if (state.key.expiresAt && state.key.expiresAt.getTime() <= now()) return "expired";
    if (state.ownerDisabled) return "account-disabled";
    return null;
  };
  /** `keyEnd` as told to whoever presents the key. */
  const refusal = (state: ApiKeyState | null): string | null => {
    if (!state) return "Unknown API key.";
    const ended = keyEnd(state);
    return ended && KEY_REFUSALS[ended];
  };

  const touch = (state: ApiKeyState) => {
    const last = state.key.lastUsedAt?.getTime() ?? 0;
    if (now() - last < LAST_USED_RESOLUTION_MS) return;
    state.key.lastUsedAt = new Date(now());
    store.touch(state.key.id, now());
  };

  const page = (userId: string | null, { first = 50, after = "" }: { first?: number; after?: string }): ApiKeyPage => {
    if (!Number.isInteger(first) || first < 1 || first > maxPageSize)
      throw new InvalidInputError(`first must be between 1 and ${maxPageSize}.`);
    const keys = store.page({ userId, after: parseCursor(after), limit: first + 1 });
    return { keys: keys.slice(0, first), hasNextPage: keys.length > first };
  };

  return {
    looksLikeKey: (token: string) => token.startsWith(SECRET_PREFIX),

    /** The scopes `viewer` may put on a new key. */
    grantableScopes: (viewer: SignedInViewer): string[] => access.grantableScopes(viewer.role),

    /**
     * Creates a key for the viewer; the returned secret is never stored or shown again. The caller
     * has confirmed the viewer's password. Refused (LIMIT_EXCEEDED) when the viewer already holds
     * `maxActiveKeysPerUser` keys that are neither revoked nor expired.
     */
    create(viewer: SignedInViewer, input: { name: string; scopes: string[]; expiresAt?: Date | null }): { apiKey: ApiKey; secret: string } {
      const name = input.name.trim();
      if (name.length < 1 || name.length > 64) throw new InvalidInputError("Name the key with 1 to 64 characters.");
      if (input.scopes.length === 0) throw new InvalidInputError("Give the key at least one scope.");
      const allowed = access.grantableScopes(viewer.role);
      for (const scope of input.scopes) {
        if (!access.apiKeyScopes.includes(scope)) throw new InvalidInputError(`Unknown scope ${JSON.stringify(scope)}.`);
        if (!allowed.includes(scope)) throw new ForbiddenError(`Your role cannot grant the scope ${scope}.`);
      }
      if (input.expiresAt && input.expiresAt.getTime() <= now()) throw new InvalidInputError("The expiry must be in the future.");
      const secret = `${SECRET_PREFIX}${randomToken(24)}`;
      const id = randomUUID();
      const inserted = store.insertWithinCap(
        {
          id,
          userId: viewer.userId,
          name,
          prefix: secret.slice(0, SHOWN_PREFIX_LENGTH),
          secretHash: hashToken(secret),
          scopes: [...new Set(input.scopes)],
          nowMs: now(),
          expiresAtMs: input.expiresAt?.getTime() ?? null,
        },
        maxActiveKeysPerUser,
      );
      if (!inserted)
        throw new LimitExceededError(
          `You already have ${maxActiveKeysPerUser} active API keys, the most one user may hold; revoke one you no longer use first.`,
          { details: { limit: maxActiveKeysPerUser } },
        );
      return { apiKey: (store.stateById(id) as ApiKeyState).key, secret };
    },

    /** The viewer's keys (revoked and expired ones too), newest first, `first` at a time after the cursor `after`. */
    listOwn: (viewer: SignedInViewer, range: { first?: number; after?: string } = {}): ApiKeyPage => page(viewer.userId, range),

    /** Every user's keys, as `listOwn` (for a viewer who manages keys; the schema checks that). */
    listAll: (range: { first?: number; after?: string } = {}): ApiKeyPage => page(null, range),

    /** Revokes one of the viewer's keys, or anyone's for a viewer who manages keys. */
    revoke(viewer: SignedInViewer, id: string): boolean {
      const state = store.stateById(id);
      if (!state || (state.key.userId !== viewer.userId && !can(viewer, "keys:manage"))) throw new NotFoundError("No such API key.");
      const revoked = store.revoke(id, now());
      events.publish("auth.credentials-changed", { userId: state.key.userId });
      return revoked;
    },

    /** Revokes every key of the user not revoked yet (sign out everywhere, a password reset); returns how many. */
    revokeAllOf(userId: string): number {
      const revoked = store.revokeAllOfUser(userId, now());
      events.publish("auth.credentials-changed", { userId });
      return revoked;
    },

    /** The viewer a key's secret stands for, or anonymous with the reason it was refused. */
    viewerForSecret(secret: string): Viewer {
      const hash = hashToken(secret);
      let state = cache.get(hash)?.value;
      if (state === undefined) {
        state = store.stateBySecretHash(hash);
        cache.set(hash, state);
      }
      const reason = refusal(state);
      if (reason || !state) return rejected(reason ?? "Unknown API key.");
      touch(state);
      return {
        kind: "apiKey",
        userId: state.key.userId,
        username: state.ownerUsername,
        role: state.ownerRole,
        permissions: access.keyPermissions(state.key.scopes, state.ownerRole),
        grantablePermissions: access.keyPermissions(access.apiKeyScopes, state.ownerRole),
        keyId: state.key.id,
        keyName: state.key.name,
        expiresAtMs: state.key.expiresAt?.getTime() ?? null,
      };
    },

    /** Why a key's viewer can no longer act as it did, or null while it can. */
    endedBecause(viewer: Extract<Viewer, { kind: "apiKey" }>): CredentialEnd | null {
      const state = store.stateById(viewer.keyId);
      // A key's row goes only with its owner.
      if (!state) return "account-deleted";
      return keyEnd(state) ?? (state.ownerRole === viewer.role ? null : "role-changed");
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
