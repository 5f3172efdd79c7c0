// Which shell commands an operator may run with `exec` (when exec_for_operators lets them at all):
// none on a deny list, and, when there is an allow list, only a single command (no shell syntax
// that chains, substitutes or redirects) matching one of its patterns. Admins are not checked:
// they may open a terminal, so a list would only look like a boundary. Patterns are globs over the
// whole command: `*` any run of characters, `?` one; everything else stands for itself.
import { ForbiddenError } from "../errors";

/** Most patterns one list may hold, and the longest pattern. */
export const MAX_EXEC_PATTERNS = 100;
export const MAX_EXEC_PATTERN_CHARS = 512;
/** What lets one command line do more than one command's work: chaining, substitution, redirection, escapes. */
const SHELL_SYNTAX = /[;&|`$<>()\\\n\r]/;

/** The patterns of a setting's value: one per line, blank lines ignored. */
export function execPatterns(value: string | null): string[] {
  return (value ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/** Why a pattern list setting cannot be used, or null (its `check`). */
export function checkExecPatterns(value: string): string | null {
  const patterns = execPatterns(value);
  if (patterns.length > MAX_EXEC_PATTERNS) return `must hold at most ${MAX_EXEC_PATTERNS} patterns`;
  if (patterns.some((p) => p.length > MAX_EXEC_PATTERN_CHARS)) return `must hold patterns of at most ${MAX_EXEC_PATTERN_CHARS} characters`;
  return null;
}

/**
 * Whether `text` as a whole matches the glob `pattern`. Linear backtracking to the last `*` only
 * (the classic wildcard match), so no pattern can make it slow.
 */
export function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let starText = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === "?" || (pattern[p] !== "*" && pattern[p] === text[t]))) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      starText = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++starText;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

export interface ExecPolicy {
  /** Throws ForbiddenError (saying why) when an operator may not run `command`. */
  checkOperatorCommand(command: string): void;
}

export function createExecPolicy({ allow, deny }: { allow: readonly string[]; deny: readonly string[] }): ExecPolicy {
  return {
    checkOperatorCommand(command) {
      const line = command.trim();
      const denied = deny.find((pattern) => globMatches(pattern, line));
      if (denied !== undefined) throw new ForbiddenError(`Operators may not run this command: it matches the denied pattern "${denied}".`);
      if (allow.length === 0) return;
      if (SHELL_SYNTAX.test(line))
        throw new ForbiddenError("Operators may run single commands only: no ; & | ` $ < > ( ) \\ or line breaks.");
      if (!allow.some((pattern) => globMatches(pattern, line)))
        throw new ForbiddenError("Operators may not run this command: it matches none of the allowed patterns (exec_allow_patterns).");
    },
  };
}
