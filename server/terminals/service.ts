// Terminal sessions: a shell (or command) under a pseudo-terminal, kept on the server while nobody
// watches, so a viewer can leave and come back to the same screen. Output is published as
// `terminal.output` events cut on UTF-8 boundaries; the scrollback is the supervisor's kept tail of
// the output. Each viewer's stream is bounded: a viewer that falls behind is sent the scrollback
// again instead of everything it missed (./viewer-stream). Who may do what with a session is
// decided in ./access, what it starts with is checked in ./launch.
import type { Clock } from "../clock";
import { InvalidInputError, LimitExceededError } from "../errors";
import type { EventBus } from "../events";
import type { Logger } from "../log";
import type { SupervisedProcess, Supervisor } from "../supervisor";
import {
  accessOf,
  requireAccess,
  type ShareCandidate,
  type ShareMode,
  shareFor,
  type TerminalAccess,
  type TerminalShare,
  type TerminalUser,
} from "./access";
import {
  checkOpenInput,
  checkTerminalSize,
  homeOf,
  loginShellOf,
  type OpenTerminalInput,
  type ProgramLaunch,
  startNoticeText,
} from "./launch";
import { createCharacterCutter, fromFirstBoundary } from "./utf8";
import { openViewerStream } from "./viewer-stream";

export interface TerminalOutputEvent {
  terminalId: string;
  data: string;
}

export interface TerminalEndedEvent {
  terminalId: string;
  exitCode: number | null;
}

export interface TerminalInfo {
  id: string;
  ownerId: string;
  ownerName: string;
  /** What runs: the shell, or the command given. */
  command: string;
  cols: number;
  rows: number;
  createdAt: Date;
  lastActivityAt: Date;
  /** Viewers attached now. */
  viewers: number;
  running: boolean;
  /** The exit status once exited; null while running or when a signal ended it. */
  exitCode: number | null;
  /** Who else the owner let in, and how. */
  shares: TerminalShare[];
  /** What the asking user may do with it. */
  access: TerminalAccess;
}

/** One piece of a viewer's stream. */
export interface TerminalOutputChunk {
  data: string;
  /** The data is the whole scrollback: the viewer clears its screen first (first chunk, or after falling behind). */
  reset: boolean;
  /** The last chunk: the session has ended. */
  exited: boolean;
  exitCode: number | null;
}

export interface TerminalServiceOptions {
  supervisor: Supervisor;
  events: EventBus;
  clock: Clock;
  log: Logger;
  /** Output kept per session for a viewer's screen to redraw. */
  scrollbackBytes: number;
  /** A session nobody has watched for this long ends. */
  idleTimeoutMs: number;
  /** A session silent this long after it started gets a notice in its output (a stuck login profile). */
  startNoticeMs: number;
  maxPerUser: number;
  maxTotal: number;
  /**
   * The shell sessions run. By default the login shell of the account they run as (as `login` would
   * pick it; a service started by systemd or cron has no `$SHELL`), else `$SHELL`, else /bin/sh.
   */
  shell?: string;
  /** The user sessions run as (run_as_user), when Outpost runs as root; Outpost's own user when null. */
  runAsUser?: string | null;
  /** The users a session could be shared with (enabled accounts), with whether they may use terminals. */
  shareCandidates: () => ShareCandidate[];
  /** Resolves a program's entry point; throws the programs feature's errors (no such program, no entry point). */
  programLaunch: (programId: string) => Promise<ProgramLaunch>;
}

/** Input per writeTerminal: a pasted page, not a file. */
export const MAX_WRITE_BYTES = 64 << 10;
/** Exited sessions kept (with their scrollback and exit status) until their owners close them. */
const MAX_EXITED_KEPT = 16;

interface Session {
  id: string;
  ownerId: string;
  ownerName: string;
  command: string;
  cols: number;
  rows: number;
  createdAt: number;
  lastActivityAt: number;
  /** When the last viewer left (or the session opened): the idle timeout counts from here. */
  unwatchedSince: number;
  viewers: number;
  /** Users the owner let in, by id. */
  shares: Map<string, TerminalShare>;
  /** Ends the attached viewers' streams of one user (when their share is taken back). */
  detachers: Set<{ userId: string; detach: () => void }>;
  process: SupervisedProcess;
  /** Holds back a character the PTY has not finished yet; it is published with the next chunk. */
  characters: ReturnType<typeof createCharacterCutter>;
  exited: boolean;
  exitCode: number | null;
  /** Outpost's own line shown before any output when the session stayed silent after starting. */
  startNotice: string;
  /** Cancels the start notice; called on the first output or the end. */
  cancelStartNotice: () => void;
}

export function createTerminalService({
  supervisor,
  events,
  clock,
  log,
  scrollbackBytes,
  idleTimeoutMs,
  maxPerUser,
  maxTotal,
  runAsUser = null,
  shell = loginShellOf(runAsUser),
  shareCandidates,
  programLaunch,
  startNoticeMs,
}: TerminalServiceOptions) {
  const sessions = new Map<string, Session>();
  const decoder = new TextDecoder();

  const info = (s: Session, access: TerminalAccess): TerminalInfo => ({
    id: s.id,
    ownerId: s.ownerId,
    ownerName: s.ownerName,
    command: s.command,
    cols: s.cols,
    rows: s.rows,
    createdAt: new Date(s.createdAt),
    lastActivityAt: new Date(s.lastActivityAt),
    viewers: s.viewers,
    running: !s.exited,
    exitCode: s.exitCode,
    shares: [...s.shares.values()],
    access,
  });

  /** The session if `user` may see it, with what they may do; FORBIDDEN when they need more than they were given. */
  const sessionFor = (user: TerminalUser, id: string, needs: TerminalAccess = "READ_ONLY") => requireAccess(sessions.get(id), user, needs);
  const runningSessionFor = (user: TerminalUser, id: string, needs: TerminalAccess) => {
    const found = sessionFor(user, id, needs);
    if (found.session.exited) throw new InvalidInputError("The terminal has exited.");
    return found;
  };

  const checkLimits = (user: TerminalUser) => {
    const running = [...sessions.values()].filter((s) => !s.exited);
    if (running.length >= maxTotal)
      throw new LimitExceededError(`At most ${maxTotal} terminals may run at once; close one first.`, {
        details: { quota: "terminalsMaxTotal", limit: maxTotal },
      });
    if (running.filter((s) => s.ownerId === user.userId).length >= maxPerUser)
      throw new LimitExceededError(`You may run at most ${maxPerUser} terminals at once; close one first.`, {
        details: { quota: "terminalsMaxPerUser", limit: maxPerUser },
      });
  };

  /** Publishes a PTY chunk, holding back the bytes of a character it has not finished. */
  const publishOutput = (session: Session, chunk: Uint8Array) => {
    session.lastActivityAt = clock.now();
    session.cancelStartNotice();
    const whole = session.characters.push(chunk);
    if (whole.length > 0) events.publish("terminal.output", { terminalId: session.id, data: decoder.decode(whole) });
  };

  /** The kept output as a viewer redraws it: whole characters only, and nothing not yet published. */
  const scrollback = (session: Session): string => {
    const kept = session.process.output("stdout");
    const published = kept.subarray(0, Math.max(0, kept.length - session.characters.heldBytes()));
    return session.startNotice + decoder.decode(fromFirstBoundary(published));
  };

  const forgetOldExited = () => {
    const exited = [...sessions.values()].filter((s) => s.exited);
    for (const s of exited.slice(0, Math.max(0, exited.length - MAX_EXITED_KEPT))) sessions.delete(s.id);
  };

  return {
    /** How many sessions are open (for the application metrics). */
    openCount: (): number => sessions.size,

    /**
     * Starts a session owned by `user`: the shell as a login shell, `command` run by it, or a
     * program's entry point in its folder, in a PTY of cols × rows. Throws InvalidInputError for
     * bad sizes, paths or combinations, LimitExceededError past the limits per user or in all, and
     * the programs feature's errors for a program that cannot start.
     */
    async open(user: TerminalUser, { cols, rows, command, cwd, programId }: OpenTerminalInput): Promise<TerminalInfo> {
      checkOpenInput({ cols, rows, command, cwd, programId });
      checkLimits(user);
      const program = programId != null ? await programLaunch(programId) : null;
      // Checked again: another open may have started while the program was looked up.
      checkLimits(user);
      const now = clock.now();
      const argv = program?.command ?? (command != null ? [shell, "-c", command] : [shell, "-l"]);
      let session: Session | null = null;
      const child = supervisor.start({
        name: `terminal of ${user.username}`,
        command: argv,
        cwd: program?.cwd ?? cwd ?? homeOf(runAsUser),
        // As run_as_user, USER and HOME are that user's (the supervisor sets them).
        env: { SHELL: shell, ...(runAsUser ? {} : { USER: user.username }), ...program?.env },
        user: runAsUser,
        // What is typed into a terminal shows in the process list only to those who may exec.
        confidential: true,
        terminal: { cols, rows },
        // Shells ignore SIGTERM; a hang-up is what ends them (and what they pass to their jobs).
        stopSignal: "SIGHUP",
        maxOutputBytes: scrollbackBytes,
        onOutput: (_stream, chunk) => {
          if (session) publishOutput(session, chunk);
        },
        onExit: (exit) => {
          if (!session) return;
          session.cancelStartNotice();
          session.exited = true;
          session.exitCode = exit.code;
          session.lastActivityAt = clock.now();
          log.info("terminal ended", { terminalId: session.id, owner: session.ownerId, exitCode: exit.code, signal: exit.signal });
          events.publish("terminal.ended", { terminalId: session.id, exitCode: exit.code });
          forgetOldExited();
        },
      });
      session = {
        id: child.id,
        ownerId: user.userId,
        ownerName: user.username,
        command: program ? `${program.programName}: ${program.command.join(" ")}` : (command ?? shell),
        cols,
        rows,
        createdAt: now,
        lastActivityAt: now,
        unwatchedSince: now,
        viewers: 0,
        shares: new Map(),
        detachers: new Set(),
        process: child,
        characters: createCharacterCutter(),
        exited: false,
        exitCode: null,
        startNotice: "",
        cancelStartNotice: () => {},
      };
      const opened = session;
      if (child.output("stdout").length === 0)
        opened.cancelStartNotice = clock.setTimer(() => {
          opened.cancelStartNotice = () => {};
          if (opened.exited) return;
          opened.startNotice = startNoticeText(Math.round(startNoticeMs / 1000));
          events.publish("terminal.output", { terminalId: opened.id, data: opened.startNotice });
        }, startNoticeMs);
      sessions.set(session.id, session);
      log.info("terminal opened", { terminalId: session.id, owner: user.userId });
      return info(session, "OWNER");
    },

    /** The sessions `user` may see: their own and those shared with them, or every one when they see all; oldest first. */
    list(user: TerminalUser): TerminalInfo[] {
      return [...sessions.values()].flatMap((s) => {
        const access = accessOf(s, user);
        return access ? [info(s, access)] : [];
      });
    },

    /**
     * Types `data` into a running session. Throws InvalidInputError past MAX_WRITE_BYTES or once
     * exited, ForbiddenError for a read-only viewer.
     */
    async write(user: TerminalUser, id: string, data: string): Promise<boolean> {
      if (Buffer.byteLength(data, "utf8") > MAX_WRITE_BYTES)
        throw new InvalidInputError(`At most ${MAX_WRITE_BYTES} bytes may be written at once.`);
      const { session } = runningSessionFor(user, id, "READ_WRITE");
      session.lastActivityAt = clock.now();
      await session.process.write(data);
      return true;
    },

    /** Sets a running session's size (the program gets SIGWINCH); ForbiddenError for a read-only viewer. */
    resize(user: TerminalUser, id: string, cols: number, rows: number): TerminalInfo {
      checkTerminalSize(cols, rows);
      const { session, access } = runningSessionFor(user, id, "READ_WRITE");
      session.process.resize(cols, rows);
      session.cols = cols;
      session.rows = rows;
      return info(session, access);
    },

    /**
     * Lets `userId` watch (READ_ONLY) or also type into (READ_WRITE) a session, or takes that back
     * (NONE), which ends their attached streams. Only the owner (or an admin) may; the user must
     * exist and hold `terminals`. Returns the session with its shares.
     */
    share(user: TerminalUser, id: string, userId: string, mode: ShareMode | "NONE"): TerminalInfo {
      const { session } = sessionFor(user, id, "OWNER");
      if (mode === "NONE") {
        session.shares.delete(userId);
        for (const viewer of [...session.detachers]) if (viewer.userId === userId) viewer.detach();
        log.info("terminal unshared", { terminalId: id, with: userId });
        return info(session, "OWNER");
      }
      session.shares.set(userId, shareFor(session, shareCandidates(), userId, mode));
      log.info("terminal shared", { terminalId: id, with: userId, mode });
      return info(session, "OWNER");
    },

    /**
     * Ends a session: a running one gets SIGHUP (SIGKILL after the grace time) and is reported once
     * reaped; an exited one is forgotten. Returns the session as it ended.
     */
    async close(user: TerminalUser, id: string): Promise<TerminalInfo> {
      const { session } = sessionFor(user, id, "OWNER");
      if (!session.exited) await session.process.stop();
      sessions.delete(id);
      return info(session, "OWNER");
    },

    /**
     * A viewer's stream of a session: the scrollback first (reset), then live output, coalesced
     * while the viewer is not reading. A viewer more than MAX_PENDING_CODE_UNITS behind gets the
     * scrollback again (reset) instead. Ends after the session's end (exited). `return()` detaches.
     */
    attach(user: TerminalUser, id: string): AsyncIterableIterator<TerminalOutputChunk> {
      const { session } = sessionFor(user, id);
      log.info("terminal attached", { terminalId: id, viewer: user.userId, viewers: session.viewers + 1 });
      return openViewerStream(session, user.userId, { events, clock, scrollback: () => scrollback(session) });
    },

    /** The users `user` could share a session with: everyone else who may use terminals. */
    sharePartners(user: TerminalUser): ShareCandidate[] {
      return shareCandidates().filter((c) => c.mayUseTerminals && c.userId !== user.userId);
    },

    /** Ends the sessions nobody has watched for the idle timeout; returns how many. */
    async reapIdle(): Promise<number> {
      const due = [...sessions.values()].filter((s) => s.viewers === 0 && clock.now() - s.unwatchedSince >= idleTimeoutMs);
      for (const s of due) {
        log.info("terminal idle; ending it", { terminalId: s.id, owner: s.ownerId });
        if (!s.exited) await s.process.stop();
        sessions.delete(s.id);
      }
      return due.length;
    },

    /** Ends every session (server shutdown): SIGHUP to each process group, then SIGKILL after the grace time. */
    async stop(): Promise<void> {
      await Promise.all([...sessions.values()].map((s) => s.process.stop()));
    },
  };
}

export type TerminalService = ReturnType<typeof createTerminalService>;
