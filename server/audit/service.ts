// The audit log: one row per mutation, sign-in attempt and denied use of a credential, written in
// batches (never slowing the request it describes), published live, and kept for a configurable
// number of days.
import { SecondFactorRequiredError } from "../auth/service";
import type { Viewer } from "../auth/viewer";
import { actorName } from "../auth/viewer";
import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { AppError, InvalidInputError } from "../errors";
import type { EventBus } from "../events";
import { clientKey } from "../http/client-info";
import type { RateLimiter } from "../limits/rate-limiter";
import type { Logger } from "../log";
import type { AuditEntry, AuditFilter, AuditStore, NewAuditEntry } from "./store";

export type { AuditEntry, AuditFilter } from "./store";

/** Longest text kept from any argument, name or message: a log entry must not become a way to fill the disk. */
const MAX_TEXT = 256;
const MAX_LIST = 20;
const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);
const clipValue = (value: unknown): unknown =>
  typeof value === "string" ? clip(value) : Array.isArray(value) ? value.slice(0, MAX_LIST).map(clipValue) : value;
/** Longest text a filter may search for. */
const MAX_FILTER_CHARS = 100;
/** Most rows one export holds: the newest that match. */
const MAX_EXPORT_ROWS = 10_000;
const EXPORT_PAGE_ROWS = 500;

/** The name a feature gives one of its ids (a user's username, an API key's name), or null when the id is not its own. */
export type IdNamer = (id: string) => string | null;

/** An argument that holds an id, by its name: `id`, or one ending in `Id` (`userId`, `runId`). */
const isIdArgument = (name: string) => name === "id" || name.endsWith("Id");

/** One action's outcome, from any edge (GraphQL field, HTTP route, socket). */
export interface AuditOutcome {
  viewer: Viewer;
  client: { ip: string | null; userAgent: string | null };
  /** e.g. `mutation.setKv`, `http.download`. */
  action: string;
  /** What was acted on: names and ids only, the one that names it first (see `labelTarget`). Strings and lists are clipped. */
  target: Record<string, unknown> | null;
  /** The target's name, when it was taken before the action ran (see `labelTarget`); taken when recording otherwise. */
  targetLabel?: string | null;
  /** The error the action failed with; absent when it succeeded. */
  error?: unknown;
  /** A sign-in names the user it signed in (or the username tried), whoever was asking. */
  signedIn?: { id: string; username: string } | null;
  triedUsername?: string | null;
}

/**
 * The result an outcome is recorded with: `ok`; `challenged` for a sign-in that asked for the
 * second factor (the password was right: not a failure); an AppError's code; or INTERNAL.
 */
export function outcomeCode(error: unknown): string {
  if (error === undefined) return "ok";
  if (error instanceof SecondFactorRequiredError) return "challenged";
  return error instanceof AppError ? error.code : "INTERNAL";
}

/** Refusals: a credential missing or denied, or a limit reached. Each costs the refused caller nothing, so each may come in floods. */
const REFUSALS: ReadonlySet<string> = new Set(["UNAUTHENTICATED", "FORBIDDEN", "LIMIT_EXCEEDED"]);

/**
 * Whether recording an outcome must fit the per-IP budget (`denialWithinBudget`): every refusal,
 * from anyone, and every failure of an anonymous caller (whatever its code: a failed sign-in, a
 * malformed argument). Successes and a signed-in caller's other failures (CONFLICT, BAD_USER_INPUT
 * and the like) are attributable and bounded by that user's rates, and always recorded.
 */
export function outcomeNeedsBudget(viewer: Viewer, error: unknown): boolean {
  if (error === undefined) return false;
  return viewer.kind === "anonymous" || REFUSALS.has(outcomeCode(error));
}

export function createAuditService({
  store,
  writes,
  events,
  log,
  rateLimiter,
  retentionDays,
  clock,
  nameId = () => null,
  maxPageSize = 500,
}: {
  store: AuditStore;
  writes: WriteBatcher;
  events: EventBus;
  log: Logger;
  rateLimiter: RateLimiter;
  retentionDays: number;
  clock: Clock;
  /** Names the ids targets hold (see `labelTarget`). */
  nameId?: IdNamer;
  maxPageSize?: number;
}) {
  /**
   * What a target is called: its first argument when that is a string (a key, a username, a name),
   * an id replaced by the name its feature gives it (one no feature knows stays as it is); null
   * when the first argument is no string.
   */
  const labelTarget = (target: Record<string, unknown> | null): string | null => {
    const [first] = Object.entries(target ?? {});
    if (!first || typeof first[1] !== "string") return null;
    const [name, value] = first as [string, string];
    return clip(isIdArgument(name) ? (nameId(value) ?? value) : value);
  };

  const checkFilter = (filter: AuditFilter): AuditFilter => {
    for (const part of ["actor", "action", "result"] as const)
      if ((filter[part]?.length ?? 0) > MAX_FILTER_CHARS)
        throw new InvalidInputError(`The ${part} filter may be at most ${MAX_FILTER_CHARS} characters long.`);
    return filter;
  };

  /** Queues one entry; resolves once it is committed and published. Failures are logged, not thrown. */
  const record = (entry: Omit<NewAuditEntry, "at">): Promise<void> => {
    const full: NewAuditEntry = { ...entry, at: new Date(clock.now()) };
    return writes
      .run(() => store.insert(full))
      .then(
        (id) => events.publish("audit.recorded", { ...full, id }),
        (err) => log.error("audit entry not written", { err, action: entry.action }),
      );
  };

  return {
    record,

    /** Records an action's outcome with its actor, target and result; the message of an internal error is never kept. */
    recordOutcome({ viewer, client, action, target, targetLabel, error, signedIn, triedUsername }: AuditOutcome): Promise<void> {
      const actor = signedIn
        ? { actorKind: "user" as const, actorId: signedIn.id, actorName: signedIn.username }
        : viewer.kind === "anonymous"
          ? { actorKind: "anonymous" as const, actorId: null, actorName: triedUsername ? clip(triedUsername) : null }
          : { actorKind: viewer.kind, actorId: viewer.userId, actorName: actorName(viewer) };
      const code = outcomeCode(error);
      const kept =
        target && Object.keys(target).length ? Object.fromEntries(Object.entries(target).map(([k, v]) => [k, clipValue(v)])) : null;
      return record({
        ...actor,
        ip: client.ip,
        userAgent: client.userAgent,
        action,
        target: kept,
        targetLabel: targetLabel !== undefined ? targetLabel : labelTarget(kept),
        result: code,
        detail: error === undefined ? null : code === "INTERNAL" ? "Internal error" : clip((error as Error).message),
      });
    },

    /** Whether one more refusal (see `outcomeNeedsBudget`) from `ip` may be recorded: a flood of refused requests must not become a flood of rows. */
    denialWithinBudget: (ip: string | null) => rateLimiter.take("denials", `ip:${clientKey(ip)}`).allowed,

    labelTarget,

    /** Entries matching `filter`, newest first, in pages chained by the id cursor `after`. */
    list({ filter = {}, first = 50, after = null }: { filter?: AuditFilter; first?: number; after?: number | null }) {
      if (!Number.isInteger(first) || first < 1 || first > maxPageSize)
        throw new InvalidInputError(`first must be between 1 and ${maxPageSize}.`);
      const rows = store.list(checkFilter(filter), after, first + 1);
      return { entries: rows.slice(0, first), hasNextPage: rows.length > first };
    },

    /**
     * The newest MAX_EXPORT_ROWS entries matching `filter` (checked now), read a page at a time as
     * the caller iterates, so an export holds one page in memory.
     */
    exportPages(filter: AuditFilter): Generator<AuditEntry[]> {
      checkFilter(filter);
      return (function* () {
        let left = MAX_EXPORT_ROWS;
        let before: number | null = null;
        while (left > 0) {
          const page = store.list(filter, before, Math.min(EXPORT_PAGE_ROWS, left));
          if (page.length === 0) return;
          yield page;
          left -= page.length;
          before = (page.at(-1) as AuditEntry).id;
        }
      })();
    },

    /** New entries from now on. */
    watch: (): AsyncIterableIterator<AuditEntry> => events.subscribe("audit.recorded"),

    /** Deletes entries past the retention. */
    purge: () => store.purgeBefore(clock.now() - retentionDays * 86_400_000),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
