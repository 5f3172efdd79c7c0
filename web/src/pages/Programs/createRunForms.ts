// The forms that start runs: a program's (arguments, environment, standard input, time limit) and
// the shell command box (command, folder, time limit). Each field is checked as the server checks
// it, with the bounds runLimits gives, before anything is sent.
import { createSignal } from "solid-js";
import { createFormChecks } from "../../lib/formChecks";
import type { CommandRequest, RunRequest } from "./programsOperations";
import { envProblem, folderProblem, parseArgs, parseEnv, type RunLimits, stdinProblem, timeLimitProblem } from "./runInput";

/** The time limit both forms have: whole seconds, or empty for the server's default. */
function createTimeLimit(limits: () => RunLimits | null) {
  const [text, setText] = createSignal("");
  return {
    text,
    setText,
    rule: { empty: () => text().trim() === "", check: () => timeLimitProblem(text(), limits()) },
    hint: () => {
      const known = limits();
      return known ? `Empty: ${known.defaultTimeoutSeconds} s. At most ${known.maxTimeoutSeconds} s.` : "Empty: the server's default.";
    },
    seconds: () => (text().trim() === "" ? null : Number(text().trim())),
  };
}

export type TimeLimit = ReturnType<typeof createTimeLimit>;

/** A program's run form; `start` gets what it checked. */
export function createRunForm(limits: () => RunLimits | null, start: (request: RunRequest) => void) {
  const [args, setArgs] = createSignal("");
  const [env, setEnv] = createSignal("");
  const [stdin, setStdin] = createSignal("");
  const timeLimit = createTimeLimit(limits);
  const checks = createFormChecks({
    env: { empty: () => env().trim() === "", check: () => envProblem(env()) },
    stdin: { empty: () => stdin() === "", check: () => stdinProblem(stdin(), limits()) },
    timeLimit: timeLimit.rule,
  });
  return {
    args,
    setArgs,
    env,
    setEnv,
    stdin,
    setStdin,
    timeLimit,
    problem: checks.problem,
    submit() {
      if (!checks.passes()) return;
      start({ args: parseArgs(args()), env: parseEnv(env()), stdin: stdin() === "" ? null : stdin(), timeoutSeconds: timeLimit.seconds() });
    },
  };
}

/** Where a shell command runs: the server's home folder, a program's folder, or a folder typed in. */
type CommandPlace = { kind: "home" } | { kind: "program"; id: string } | { kind: "path" };
const PROGRAM_PLACE = "program:";

/** The shell command box; `exec` gets what it checked. */
export function createCommandForm(limits: () => RunLimits | null, exec: (request: CommandRequest) => void) {
  const [command, setCommand] = createSignal("");
  const [place, setPlace] = createSignal<CommandPlace>({ kind: "home" });
  const [folder, setFolder] = createSignal("");
  const timeLimit = createTimeLimit(limits);
  const typesFolder = () => place().kind === "path";
  const checks = createFormChecks({
    command: { empty: () => command().trim() === "", required: "Type a command." },
    folder: {
      empty: () => typesFolder() && folder().trim() === "",
      required: "Enter the folder's absolute path.",
      check: () => (typesFolder() ? folderProblem(folder()) : null),
    },
    timeLimit: timeLimit.rule,
  });
  const cwd = (): string | null => {
    const chosen = place();
    if (chosen.kind === "program") return chosen.id;
    return chosen.kind === "path" ? folder().trim() : null;
  };
  return {
    command,
    setCommand,
    /** The folder select's value for a program's folder. */
    programPlace: (programId: string) => PROGRAM_PLACE + programId,
    /** The place as the folder select's value: home, path, or program:<id>. */
    placeValue: () => {
      const chosen = place();
      return chosen.kind === "program" ? PROGRAM_PLACE + chosen.id : chosen.kind;
    },
    choosePlace: (value: string) =>
      setPlace(
        value.startsWith(PROGRAM_PLACE)
          ? { kind: "program", id: value.slice(PROGRAM_PLACE.length) }
          : { kind: value === "path" ? "path" : "home" },
      ),
    folder,
    setFolder,
    typesFolder,
    timeLimit,
    problem: checks.problem,
    submit() {
      if (!checks.passes()) return;
      exec({ command: command(), cwd: cwd(), timeoutSeconds: timeLimit.seconds() });
    },
  };
}
