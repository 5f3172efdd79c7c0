// The Account page's sessions: where the user is signed in, ending one, or all of them (and, when
// asked, every API key too).

import { createSignal } from "solid-js";
import { createAction, createRowActions } from "../../lib/action";
import { revokeSession, signOutEverywhere } from "../../lib/auth";
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
      run: () => void revokeAll.run(),
      busy: revokeAll.busy,
      error: revokeAll.error,
    },
  };
}

export type SessionList = ReturnType<typeof createSessionList>;
