// Reading an answer from another server (a tunnel service, a webhook receiver) without trusting its
// size: a chunked body names no length, and one that never ends must not fill memory.

/** The first `maxBytes` of the body as text, read as it streams in; `whole` is false when more was cut off. */
export async function readResponseHead(response: Response, maxBytes: number): Promise<{ text: string; whole: boolean }> {
  if (!response.body) return { text: "", whole: true };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    chunks.push(read.value);
    size += read.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return { text: Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8"), whole: false };
    }
  }
  return { text: Buffer.concat(chunks).toString("utf8"), whole: true };
}
