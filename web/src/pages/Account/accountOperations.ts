// The signed-in user's own account: password, two-factor sign-in, sessions and API keys.
// Ending sessions changes who is signed in, so those operations live in lib/auth.

import type { Role } from "../../lib/auth";
import { query } from "../../lib/graphql";

export interface AccountSummary {
  id: string;
  username: string;
  role: Role;
  totpEnabled: boolean;
}

export async function fetchAccount(): Promise<AccountSummary> {
  const { me } = await query<{ me: AccountSummary }>("query Account { me { id username role totpEnabled } }");
  return me;
}

/** Changes the caller's password; the server ends their other sessions. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<boolean> {
  const { changePassword } = await query<{ changePassword: boolean }>(
    "mutation ChangePassword($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }",
    { currentPassword, newPassword },
  );
  return changePassword;
}

// ---- Two-factor sign-in (TOTP) ----

export interface TotpSetup {
  secret: string;
  otpauthUri: string;
  /** An <svg> document with the QR code of `otpauthUri`. */
  qrSvg: string;
}

/** Starts (or restarts) enrolment; nothing changes for sign-in until `confirmTotpSetup`. */
export async function beginTotpSetup(): Promise<TotpSetup> {
  const { beginTotpSetup } = await query<{ beginTotpSetup: TotpSetup }>(
    "mutation BeginTotpSetup { beginTotpSetup { secret otpauthUri qrSvg } }",
  );
  return beginTotpSetup;
}

/** Turns two-factor sign-in on with a code from the app; resolves the recovery codes, which are shown only now. */
export async function confirmTotpSetup(code: string): Promise<string[]> {
  const { confirmTotpSetup } = await query<{ confirmTotpSetup: { recoveryCodes: string[] } }>(
    "mutation ConfirmTotpSetup($code: String!) { confirmTotpSetup(code: $code) { recoveryCodes } }",
    { code },
  );
  return confirmTotpSetup.recoveryCodes;
}

export async function disableTotp(password: string): Promise<boolean> {
  const { disableTotp } = await query<{ disableTotp: boolean }>(
    "mutation DisableTotp($password: String!) { disableTotp(password: $password) }",
    {
      password,
    },
  );
  return disableTotp;
}

// ---- Sessions ----

export interface Session {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export async function fetchSessions(): Promise<Session[]> {
  const { mySessions } = await query<{ mySessions: Session[] }>(
    "query MySessions { mySessions { id createdAt lastUsedAt expiresAt ip userAgent current } }",
  );
  return mySessions;
}

// ---- API keys ----

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the secret, to recognise a key by. */
  prefix: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Null once the owner has been deleted. */
  owner: { id: string; username: string } | null;
}

const API_KEY_FIELDS = "id name prefix scopes createdAt expiresAt lastUsedAt revokedAt owner { id username }";

/** The caller's own keys, or with `everyone` (admins) every user's. */
export async function fetchApiKeys({ everyone = false }: { everyone?: boolean } = {}): Promise<ApiKey[]> {
  if (everyone) {
    const { allApiKeys } = await query<{ allApiKeys: ApiKey[] }>(`query AllApiKeys { allApiKeys { ${API_KEY_FIELDS} } }`);
    return allApiKeys;
  }
  const { apiKeys } = await query<{ apiKeys: ApiKey[] }>(`query ApiKeys { apiKeys { ${API_KEY_FIELDS} } }`);
  return apiKeys;
}

/** The scopes the caller may put on a key (never more than their role allows). */
export async function fetchApiKeyScopes(): Promise<string[]> {
  const { apiKeyScopes } = await query<{ apiKeyScopes: string[] }>("query ApiKeyScopes { apiKeyScopes }");
  return apiKeyScopes;
}

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The whole key; the server keeps only its hash, so this is the one time it can be shown. */
  secret: string;
}

export async function createApiKey(input: { name: string; scopes: string[]; expiresAt: string | null }): Promise<CreatedApiKey> {
  const { createApiKey } = await query<{ createApiKey: CreatedApiKey }>(
    `mutation CreateApiKey($name: String!, $scopes: [String!]!, $expiresAt: DateTime) {
      createApiKey(name: $name, scopes: $scopes, expiresAt: $expiresAt) { secret apiKey { ${API_KEY_FIELDS} } }
    }`,
    { ...input },
  );
  return createApiKey;
}

export async function revokeApiKey(id: string): Promise<boolean> {
  const { revokeApiKey } = await query<{ revokeApiKey: boolean }>("mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) }", { id });
  return revokeApiKey;
}
