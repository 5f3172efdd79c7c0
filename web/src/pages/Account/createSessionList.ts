// The Account page's sessions: where the user is signed in, ending one, or all of them (and, when
// asked, every API key too), each after asking.

import { createSignal } from "solid-js";
import { createAction, createRowActions } from "../../lib/action";
import { revokeSession, signOutEverywhere } from "../../lib/auth";
import { confirmAction } from "../../lib/confirm";
import { describeUserAgent } from "./accountDisplay";
import { fetchSessions, type Session } from "./accountOperations";

const newestFirst = (a: Session, b: Session) => Number(b.current) - Number(a.current) || b.lastUsedAt.localeCompare(a.lastUsedAt);

export function createSessionList() {
  const [sessions, setSessions] = createSignal<readonly Session[]>([]);
  const [loaded, setLoaded] = createSignal(false);
  const load = createAction(async () => {
    setSessions([...(await fetchSessions())].sort(newestFirst));
    setLoaded(true);
  });
  void load.run();

  const rows = createRowActions<"revoke">();
  async function revoke(session: Session) {
    // Ending this very session is signing out, which asks nothing in the header either.
    const goAhead =
      session.current ||
      (await confirmAction({
        question: `End the session of ${describeUserAgent(session.userAgent)}${session.ip ? ` at ${session.ip}` : ""}?`,
        detail: "That device is signed out at once and has to sign in again.",
        confirmLabel: "End session",
      }));
    if (!goAhead) return;
    const done = await rows.run(session.id, "revoke", () => revokeSession(session.id, { current: session.current }));
    // Ending the current session signs out: the shell then goes to the sign-in page.
    if (done !== undefined && !session.current) setSessions((list) => list.filter((each) => each.id !== session.id));
  }

  // Success signs out here too; the shell then goes to the sign-in page.
  const [includeApiKeys, setIncludeApiKeys] = createSignal(false);
  const revokeAll = createAction(() => signOutEverywhere({ includeApiKeys: includeApiKeys() }));

  return {
    sessions,
    loaded,
    loading: load.busy,
    error: load.error,
    reload: () => void load.run(),
    rowBusy: rows.busy,
    rowError: rows.error,
    revoke,
    revokeAll: {
      includeApiKeys,
      setIncludeApiKeys: (include: boolean) => {
        setIncludeApiKeys(include);
        revokeAll.clearError();
      },
      run: async () => {
        const goAhead = await confirmAction({
          question: "Sign out everywhere?",
          detail: includeApiKeys()
            ? "Every session of yours ends, this one too, and every API key of yours is revoked for good."
            : "Every session of yours ends, this one too. Your API keys keep working.",
          confirmLabel: "Sign out everywhere",
        });
        if (goAhead) void revokeAll.run();
      },
      busy: revokeAll.busy,
      error: revokeAll.error,
    },
  };
}

export type SessionList = ReturnType<typeof createSessionList>;
