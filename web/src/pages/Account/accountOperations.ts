// The signed-in user's own account: password, two-factor sign-in, sessions and API keys.
// Ending sessions changes who is signed in, so those operations live in lib/auth.

import { query } from "../../lib/graphql";
import type { Page } from "../../lib/liveList";
import { graphql, type ResultOf, type VariablesOf } from "../../lib/operation";

const ACCOUNT = graphql("query Account { me { id username role totpEnabled } }");

export type AccountSummary = ResultOf<typeof ACCOUNT>["me"];

export async function fetchAccount(): Promise<AccountSummary> {
  const { me } = await query(ACCOUNT);
  return me;
}

const CHANGE_PASSWORD = graphql(`mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
  changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
}`);

/** Changes the caller's password; the server ends their other sessions. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<boolean> {
  const { changePassword } = await query(CHANGE_PASSWORD, { currentPassword, newPassword });
  return changePassword;
}

// ---- Two-factor sign-in (TOTP) ----

const BEGIN_TOTP_SETUP = graphql(
  "mutation BeginTotpSetup($password: String!) { beginTotpSetup(password: $password) { secret otpauthUri qrSvg } }",
);

/** The secret to enrol, as text, as an otpauth URI and as an <svg> document with its QR code. */
export type TotpSetup = ResultOf<typeof BEGIN_TOTP_SETUP>["beginTotpSetup"];

/** Starts (or restarts) enrolment with the current password; nothing changes for sign-in until `confirmTotpSetup`. */
export async function beginTotpSetup(password: string): Promise<TotpSetup> {
  const { beginTotpSetup } = await query(BEGIN_TOTP_SETUP, { password });
  return beginTotpSetup;
}

const CONFIRM_TOTP_SETUP = graphql("mutation ConfirmTotpSetup($code: String!) { confirmTotpSetup(code: $code) { recoveryCodes } }");

/** Turns two-factor sign-in on with a code from the app; resolves the recovery codes, which are shown only now. */
export async function confirmTotpSetup(code: string): Promise<readonly string[]> {
  const { confirmTotpSetup } = await query(CONFIRM_TOTP_SETUP, { code });
  return confirmTotpSetup.recoveryCodes;
}

const DISABLE_TOTP = graphql("mutation DisableTotp($password: String!) { disableTotp(password: $password) }");

export async function disableTotp(password: string): Promise<boolean> {
  const { disableTotp } = await query(DISABLE_TOTP, { password });
  return disableTotp;
}

// ---- Sessions ----

const MY_SESSIONS = graphql("query MySessions { mySessions { id createdAt lastUsedAt expiresAt ip userAgent current } }");

export type Session = ResultOf<typeof MY_SESSIONS>["mySessions"][number];

export async function fetchSessions(): Promise<readonly Session[]> {
  const { mySessions } = await query(MY_SESSIONS);
  return mySessions;
}

// ---- API keys ----

// `prefix` is the first characters of the secret, to recognise a key by; `owner` is null once the
// owner has been deleted.
const API_KEY_FIELDS = "id name prefix scopes createdAt expiresAt lastUsedAt revokedAt owner { id username }";

const API_KEYS = graphql(`query ApiKeys($first: Int!, $after: String) {
  apiKeys(first: $first, after: $after) { nodes { ${API_KEY_FIELDS} } pageInfo { endCursor hasNextPage } }
}`);
const ALL_API_KEYS = graphql(`query AllApiKeys($first: Int!, $after: String) {
  allApiKeys(first: $first, after: $after) { nodes { ${API_KEY_FIELDS} } pageInfo { endCursor hasNextPage } }
}`);

export type ApiKey = ResultOf<typeof API_KEYS>["apiKeys"]["nodes"][number];

const API_KEY_PAGE_SIZE = 50;

/** A page of the caller's own keys, or with `everyone` (keys:manage) of every user's, newest first. */
export async function fetchApiKeyPage({ everyone }: { everyone: boolean }, after: string | null): Promise<Page<ApiKey>> {
  const variables = { first: API_KEY_PAGE_SIZE, after };
  const { nodes, pageInfo } = everyone ? (await query(ALL_API_KEYS, variables)).allApiKeys : (await query(API_KEYS, variables)).apiKeys;
  return { items: nodes, ...pageInfo };
}

const API_KEY_SCOPES = graphql("query ApiKeyScopes { apiKeyScopes }");

/** The scopes the caller may put on a key (never more than their role allows). */
export async function fetchApiKeyScopes(): Promise<readonly string[]> {
  const { apiKeyScopes } = await query(API_KEY_SCOPES);
  return apiKeyScopes;
}

const CREATE_API_KEY = graphql(`mutation CreateApiKey($name: String!, $scopes: [String!]!, $expiresAt: DateTime, $password: String!) {
  createApiKey(name: $name, scopes: $scopes, expiresAt: $expiresAt, password: $password) { secret apiKey { ${API_KEY_FIELDS} } }
}`);

/** The new key and its whole secret: the server keeps only its hash, so this is the one time it can be shown. */
export type CreatedApiKey = ResultOf<typeof CREATE_API_KEY>["createApiKey"];

/** Needs the current password; fails with LIMIT_EXCEEDED when the caller holds the most active keys allowed. */
export async function createApiKey(input: VariablesOf<typeof CREATE_API_KEY>): Promise<CreatedApiKey> {
  const { createApiKey } = await query(CREATE_API_KEY, input);
  return createApiKey;
}

const REVOKE_API_KEY = graphql("mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) }");

export async function revokeApiKey(id: string): Promise<boolean> {
  const { revokeApiKey } = await query(REVOKE_API_KEY, { id });
  return revokeApiKey;
}
