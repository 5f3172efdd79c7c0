// The phone key bar's sticky modifiers: what the terminal receives for a key typed while Ctrl or Alt is held.
import { describe, expect, test } from "bun:test";
import { withModifiers } from "../../../web/src/pages/Terminals/terminalInput";

describe("withModifiers", () => {
  const rows: { typed: string; ctrl: boolean; alt: boolean; sends: string }[] = [
    { typed: "c", ctrl: true, alt: false, sends: "\x03" },
    { typed: "C", ctrl: true, alt: false, sends: "\x03" },
    { typed: "[", ctrl: true, alt: false, sends: "\x1b" },
    { typed: " ", ctrl: true, alt: false, sends: "\x00" },
    { typed: "b", ctrl: false, alt: true, sends: "\x1bb" },
    { typed: "d", ctrl: true, alt: true, sends: "\x1b\x04" },
    { typed: "1", ctrl: true, alt: false, sends: "1" },
    { typed: "x", ctrl: false, alt: false, sends: "x" },
    { typed: "a paste", ctrl: true, alt: true, sends: "a paste" },
  ];
  for (const { typed, ctrl, alt, sends } of rows)
    test(`${JSON.stringify(typed)} with ctrl=${ctrl} alt=${alt}`, () => expect(withModifiers(typed, { ctrl, alt })).toBe(sends));
});
