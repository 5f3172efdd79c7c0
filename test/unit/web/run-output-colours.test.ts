// Run output colours in the Programs page: a colour carries over from one chunk to the next, and an
// escape sequence split between two chunks is decoded whole instead of showing as text.
import { expect, test } from "bun:test";
import { createAnsiDecoder } from "../../../web/src/pages/Programs/runInput";

const ESC = "\u001b";

test("a colour set in one chunk still holds in the next", () => {
  const stream = createAnsiDecoder();
  expect(stream.decode(`${ESC}[31mred`)).toEqual([{ text: "red", colour: 1, bold: false }]);
  expect(stream.decode(` still red${ESC}[0m plain`)).toEqual([
    { text: " still red", colour: 1, bold: false },
    { text: " plain", colour: null, bold: false },
  ]);
});

test.each([
  ["after ESC", [`a${ESC}`, "[1;32mgreen"]],
  ["after ESC [", [`a${ESC}[`, "1;32mgreen"]],
  ["inside the parameters", [`a${ESC}[1;3`, "2mgreen"]],
])("a sequence split %s is decoded whole", (_where, [first, second]) => {
  const stream = createAnsiDecoder();
  expect(stream.decode(first as string)).toEqual([{ text: "a", colour: null, bold: false }]);
  expect(stream.decode(second as string)).toEqual([{ text: "green", colour: 2, bold: true }]);
});

test("cursor moves and clearing are left out; a lone ESC at the very end waits, bounded", () => {
  const stream = createAnsiDecoder();
  expect(stream.decode(`${ESC}[2J${ESC}[Hhome`)).toEqual([{ text: "home", colour: null, bold: false }]);
  const long = `${ESC}[${"1".repeat(40)}`;
  expect(
    stream
      .decode(long)
      .map((p) => p.text)
      .join(""),
  ).toBe(long);
});
