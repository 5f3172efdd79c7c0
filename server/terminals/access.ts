// Who may do what with a terminal session: its owner and admins everything, the users its owner
// shared it with what they were given (watch, or also type). A session someone may not see does
// not exist for them: its id says nothing.
import type { SignedInViewer } from "../auth/viewer";
import { ForbiddenError, InvalidInputError, NotFoundError } from "../errors";

/** Who is acting: the owner of a session, or someone who may act on every session. */
export interface TerminalUser {
  userId: string;
  username: string;
  seesAll: boolean;
}

/** The signed-in viewer as the terminals see them: admins act on every session, others on their own and those shared with them. */
export function terminalUserOf(viewer: SignedInViewer): TerminalUser {
  return { userId: viewer.userId, username: viewer.username, seesAll: viewer.role === "admin" };
}

/** What the owner lets another user do with a session. */
export type ShareMode = "READ_ONLY" | "READ_WRITE";

/** What a user may do with a session: everything (its owner, or an admin), or what it was shared with. */
export type TerminalAccess = "OWNER" | ShareMode;

export interface TerminalShare {
  userId: string;
  username: string;
  mode: ShareMode;
}

/** Someone a session may be shared with, as the accounts know them. */
export interface ShareCandidate {
  userId: string;
  username: string;
  /** Whether they hold the `terminals` permission (no one without it may see a terminal). */
  mayUseTerminals: boolean;
}

/** What of a session decides who may use it. */
export interface SharedSession {
  ownerId: string;
  /** Users the owner let in, by id. */
  shares: Map<string, TerminalShare>;
}

/** What `user` may do with `session`; null when they may not see it. */
export const accessOf = (session: SharedSession, user: TerminalUser): TerminalAccess | null =>
  session.ownerId === user.userId || user.seesAll ? "OWNER" : (session.shares.get(user.userId)?.mode ?? null);

/**
 * The session (undefined: there is none) with what `user` may do with it, when that is at least
 * `needs`. NotFoundError when they may not see it, ForbiddenError when they need more than they
 * were given.
 */
export function requireAccess<Session extends SharedSession>(
  session: Session | undefined,
  user: TerminalUser,
  needs: TerminalAccess,
): { session: Session; access: TerminalAccess } {
  const access = session ? accessOf(session, user) : null;
  // Someone else's session is reported as absent: its id says nothing to them.
  if (!session || !access) throw new NotFoundError("No such terminal.");
  if (needs === "OWNER" && access !== "OWNER") throw new ForbiddenError("Only the terminal's owner may do that.");
  if (needs === "READ_WRITE" && access === "READ_ONLY") throw new ForbiddenError("The terminal is shared with you read-only.");
  return { session, access };
}

/**
 * The share to give `userId` on `session`, checked: the user must be one of `candidates`, not the
 * owner, and hold `terminals`. NotFoundError for an unknown user, InvalidInputError otherwise.
 */
export function shareFor(session: SharedSession, candidates: ShareCandidate[], userId: string, mode: ShareMode): TerminalShare {
  const candidate = candidates.find((c) => c.userId === userId);
  if (!candidate) throw new NotFoundError("No such user.");
  if (candidate.userId === session.ownerId) throw new InvalidInputError("The terminal is theirs already.");
  if (!candidate.mayUseTerminals) throw new InvalidInputError(`${candidate.username} may not use terminals (permission terminals).`);
  return { userId, username: candidate.username, mode };
}
