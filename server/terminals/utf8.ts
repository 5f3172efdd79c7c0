// Where a stream of UTF-8 bytes can be cut without splitting a character: a PTY hands over output
// in arbitrary chunks, and a kept tail starts wherever the ring happened to wrap.

const isContinuation = (byte: number) => (byte & 0xc0) === 0x80;

/** How many bytes a character takes, from its lead byte (1 for ASCII and for invalid bytes). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead < 0xf8) return 4;
  if (lead >= 0xe0) return lead < 0xf0 ? 3 : 1;
  if (lead >= 0xc0) return 2;
  return 1;
}

/** The length of the longest prefix of `bytes` that ends on a character boundary. */
function completePrefixLength(bytes: Uint8Array): number {
  // A character is at most 4 bytes, so only the last 3 can belong to an unfinished one.
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] as number;
    if (isContinuation(byte)) continue;
    return sequenceLength(byte) > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** `bytes` without the continuation bytes it starts with (the rest of a character cut off in front). */
export function fromFirstBoundary(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < Math.min(3, bytes.length) && isContinuation(bytes[start] as number)) start++;
  return bytes.subarray(start);
}

/**
 * Cuts a byte stream into whole characters: `push` returns the bytes of the characters finished so
 * far and holds back the start of an unfinished one (at most 3 bytes) until the next chunk.
 */
export function createCharacterCutter() {
  let unfinished = new Uint8Array(0);
  return {
    push(chunk: Uint8Array): Uint8Array {
      let bytes = chunk;
      if (unfinished.length > 0) {
        bytes = new Uint8Array(unfinished.length + chunk.length);
        bytes.set(unfinished);
        bytes.set(chunk, unfinished.length);
      }
      const complete = completePrefixLength(bytes);
      unfinished = bytes.slice(complete);
      return bytes.subarray(0, complete);
    },
    /** Bytes held back. */
    heldBytes: () => unfinished.length,
  };
}
