// What the phone key bar adds to typing: sticky Ctrl and Alt that apply to the next key typed,
// and the keys a phone keyboard lacks, as the bytes a terminal expects for them.

/** The bar's keys that send something by themselves. */
export const KEY_BAR_KEYS: readonly { label: string; name: string; sends: string }[] = [
  { label: "Esc", name: "escape", sends: "\x1b" },
  { label: "Tab", name: "tab", sends: "\t" },
  { label: "←", name: "left", sends: "\x1b[D" },
  { label: "↑", name: "up", sends: "\x1b[A" },
  { label: "↓", name: "down", sends: "\x1b[B" },
  { label: "→", name: "right", sends: "\x1b[C" },
  { label: "|", name: "pipe", sends: "|" },
  { label: "~", name: "tilde", sends: "~" },
  { label: "/", name: "slash", sends: "/" },
];

export interface Modifiers {
  ctrl: boolean;
  alt: boolean;
}

/**
 * `typed` as the terminal receives it with the modifiers held: Ctrl turns a letter (or one of
 * @[\]^_ and space) into its control character, Alt puts ESC in front (as xterm's meta-sends-escape).
 * Modifiers apply to the first character only; longer input (a paste) passes unchanged.
 */
export function withModifiers(typed: string, { ctrl, alt }: Modifiers): string {
  if (typed.length !== 1) return typed;
  let key = typed;
  if (ctrl) {
    const code = key.toUpperCase().charCodeAt(0);
    if (code >= 0x40 && code <= 0x5f) key = String.fromCharCode(code - 0x40);
    else if (key === " ") key = "\x00";
    else if (key === "?") key = "\x7f";
  }
  return alt ? `\x1b${key}` : key;
}
