/**
 * The most of one reply's body the CLI reads, in bytes. Hint: the largest answer of the pipeline is a page of 1,000
 * records, about 66 MB when every payload is at the default MAX_PAYLOAD_BYTES (64 KiB); twice that leaves room for a
 * server with larger payloads while a server streaming an endless body stops at 128 MiB (it took the CLI to 2.3 GB).
 */
export const MAX_REPLY_BYTES = 128 * 1024 * 1024;

/** A body read: its text, or that it passed the cap, or how reading it failed and how far it got. */
export type BodyRead =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'tooLarge'; readonly bytes: number; readonly maxBytes: number }
  | { readonly kind: 'failed'; readonly error: unknown; readonly bytes: number };

/** Cancel a body the CLI stops reading; a failure to cancel changes nothing for the caller. */
async function cancel(body: ReadableStream<Uint8Array> | null): Promise<void> {
  await body?.cancel().catch(() => undefined);
}

/**
 * Read `response`'s body as UTF-8 text (as `Response.text()` does), up to `maxBytes`: past it, by its Content-Length
 * or as it arrives, reading stops. Never rejects: a timeout or a reset while reading is `failed`, with the bytes read.
 */
export async function readCappedBody(response: Response, maxBytes: number): Promise<BodyRead> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await cancel(response.body);
    return { kind: 'tooLarge', bytes: declared, maxBytes };
  }
  if (response.body === null) return { kind: 'text', text: '' };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { kind: 'tooLarge', bytes, maxBytes };
      }
      chunks.push(value);
    }
  } catch (error) {
    return { kind: 'failed', error, bytes };
  }
  return { kind: 'text', text: new TextDecoder().decode(Buffer.concat(chunks)) };
}
