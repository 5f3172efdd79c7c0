// The range of keys that start with a prefix, for range scans over the sorted keys.

/** The smallest string greater than every string starting with `prefix`, or null if none exists. */
export function prefixUpperBound(prefix: string): string | null {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = (points.pop() as string).codePointAt(0) as number;
    // Skip the surrogate range: code points there are not valid on their own in UTF-8.
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    if (next <= 0x10ffff) return points.join("") + String.fromCodePoint(next);
  }
  return null;
}
