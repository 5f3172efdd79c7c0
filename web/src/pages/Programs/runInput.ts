// What a person types to run a program, turned into what startRun takes.

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
