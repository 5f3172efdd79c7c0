// What a person types to run a program or a shell command, checked as the server checks it and
// turned into what startRun and exec take.
import { formatBytes } from "../../lib/format";

/** Arguments split at spaces; "double quotes" keep spaces inside one argument. */
export function parseArgs(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
}

/** NAME=value lines; blank lines are skipped, a line without "=" is an error naming it. */
export function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const at = line.indexOf("=");
    if (at <= 0) throw new Error(`"${line}" is not NAME=value.`);
    env[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return env;
}

/** What is wrong with environment lines as typed (see parseEnv), or null. */
export function envProblem(text: string): string | null {
  try {
    parseEnv(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** What startRun and exec take (the runLimits query). */
export interface RunLimits {
  maxStdinBytes: number;
  defaultTimeoutSeconds: number;
  maxTimeoutSeconds: number;
}

/** What is wrong with a time limit as typed, checked as the server checks it: whole seconds from 1 to the longest. */
export function timeLimitProblem(text: string, limits: RunLimits | null): string | null {
  const seconds = text.trim();
  if (!/^\d+$/.test(seconds) || Number(seconds) < 1) return "Enter whole seconds, 1 or more.";
  if (limits && Number(seconds) > limits.maxTimeoutSeconds) return `At most ${limits.maxTimeoutSeconds} seconds.`;
  return null;
}

/** What is wrong with standard input this long: more bytes of UTF-8 than the server takes. */
export function stdinProblem(text: string, limits: RunLimits | null): string | null {
  // A UTF-16 unit is at most 3 bytes of UTF-8: most inputs need no encoding on each keystroke.
  if (!limits || text.length * 3 <= limits.maxStdinBytes) return null;
  const bytes = new TextEncoder().encode(text).length;
  return bytes > limits.maxStdinBytes
    ? `Standard input can have at most ${formatBytes(limits.maxStdinBytes)}: this is ${formatBytes(bytes - limits.maxStdinBytes)} too much.`
    : null;
}

/** The folder a shell command runs in, as typed: an absolute path (the server checks that it is a directory). */
export function folderProblem(path: string): string | null {
  return path.trim().startsWith("/") ? null : "Enter an absolute path, starting with /.";
}

/** A piece of output in one colour (0–7, 8–15 bright; null: the default). */
export interface ColouredText {
  text: string;
  colour: number | null;
  bold: boolean;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is exactly what an ANSI sequence starts with.
const ESCAPE = /\u001b\[([0-9;?]*)([A-Za-z])/g;
/** An escape sequence cut off at the end of a chunk: ESC, or ESC [ and parameters without the final letter. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above.
const CUT_ESCAPE = /\u001b(\[[0-9;?]{0,32})?$/;

/**
 * Decodes one output stream, chunk after chunk, into coloured pieces: colours (SGR 30–37, 90–97,
 * bold, reset) carry over from one chunk to the next, and an escape sequence split between two
 * chunks waits for its end; every other sequence (cursor moves, clearing) is left out.
 */
export function createAnsiDecoder() {
  let colour: number | null = null;
  let bold = false;
  let held = "";
  return {
    decode(chunk: string): ColouredText[] {
      let text = held + chunk;
      const cut = CUT_ESCAPE.exec(text);
      held = cut ? cut[0] : "";
      if (cut) text = text.slice(0, cut.index);
      const pieces: ColouredText[] = [];
      let at = 0;
      const push = (end: number) => {
        if (end > at) pieces.push({ text: text.slice(at, end), colour, bold });
      };
      for (const match of text.matchAll(ESCAPE)) {
        push(match.index);
        at = match.index + match[0].length;
        if (match[2] !== "m") continue;
        for (const code of (match[1] || "0").split(";").map(Number)) {
          if (code === 0) [colour, bold] = [null, false];
          else if (code === 1) bold = true;
          else if (code === 22) bold = false;
          else if (code >= 30 && code <= 37) colour = code - 30;
          else if (code >= 90 && code <= 97) colour = code - 90 + 8;
          else if (code === 39) colour = null;
        }
      }
      push(text.length);
      return pieces;
    },
  };
}
