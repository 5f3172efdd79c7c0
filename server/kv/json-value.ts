// What makes a JSON value storable beyond being JSON: every number finite, and nesting bounded.
// JSON.stringify writes NaN and ±Infinity (1e400 parses to Infinity) as null, so such a value would
// be stored changed (and a value of null at the top could never be read back); and a value nested
// thousands deep overflows the stack of the code that stringifies it.

/** How deeply arrays and objects may nest in a value (serde_json's default limit). */
export const MAX_JSON_DEPTH = 128;

const NON_FINITE = "Numbers in a JSON value must be finite; NaN, Infinity and numbers beyond ±1.8e308 (such as 1e400) are refused.";
const TOO_DEEP = `A JSON value may nest arrays and objects at most ${MAX_JSON_DEPTH} deep.`;

/**
 * Why `value` cannot be stored as it is (a non-finite number, or nesting deeper than
 * MAX_JSON_DEPTH), as a message for the client; null when it can. Walks without recursion (no
 * stack to overflow); a megabyte of JSON takes about as long as stringifying it.
 */
export function unstorableJsonReason(value: unknown): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? null : NON_FINITE;
  if (typeof value !== "object" || value === null) return null;
  const containers: object[] = [value];
  const depths: number[] = [1];
  while (containers.length > 0) {
    const container = containers.pop() as object;
    const depth = depths.pop() as number;
    if (depth > MAX_JSON_DEPTH) return TOO_DEEP;
    const items = Array.isArray(container) ? container : Object.values(container);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item === "number") {
        if (!Number.isFinite(item)) return NON_FINITE;
      } else if (typeof item === "object" && item !== null) {
        containers.push(item);
        depths.push(depth + 1);
      }
    }
  }
  return null;
}
