// Terminal output is cut only between characters: whatever chunks the PTY hands over, and wherever
// the kept scrollback happens to start.
import { expect, test } from "bun:test";
import { createCharacterCutter, fromFirstBoundary } from "../../server/terminals/utf8";

/** One-, two-, three- and four-byte characters. */
const TEXT = "a é € 😀 z";
const BYTES = new TextEncoder().encode(TEXT);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test("split at every byte boundary, each piece passed on holds whole characters and together they are the text", () => {
  for (let cut = 0; cut <= BYTES.length; cut++) {
    const cutter = createCharacterCutter();
    const first = cutter.push(BYTES.subarray(0, cut));
    const second = cutter.push(BYTES.subarray(cut));
    expect(decode(first)).not.toContain("\uFFFD");
    expect(decode(second)).not.toContain("\uFFFD");
    expect(decode(first) + decode(second)).toBe(TEXT);
    expect(cutter.heldBytes()).toBe(0);
  }
});

test("fed one byte at a time, the text arrives whole", () => {
  const cutter = createCharacterCutter();
  const pieces = [...BYTES].map((byte) => decode(cutter.push(Uint8Array.of(byte))));
  for (const piece of pieces) expect(piece).not.toContain("\uFFFD");
  expect(pieces.join("")).toBe(TEXT);
});

test("a kept tail that starts inside a character starts at the next one", () => {
  for (let start = 0; start < BYTES.length; start++) expect(decode(fromFirstBoundary(BYTES.subarray(start)))).not.toContain("\uFFFD");
});

test("invalid bytes are passed on, not held forever", () => {
  const cutter = createCharacterCutter();
  expect([...cutter.push(Uint8Array.of(0xff, 0x41))]).toEqual([0xff, 0x41]);
});
