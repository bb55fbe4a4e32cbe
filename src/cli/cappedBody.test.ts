import { describe, expect, it } from 'vitest';
import { readCappedBody } from './cappedBody.js';

/** A response whose body arrives as `chunks`, then fails with `error` when one is given (else ends). */
function streamed(chunks: readonly string[], error?: Error, headers: Record<string, string> = {}): Response {
  const encoder = new TextEncoder();
  let at = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at < chunks.length) controller.enqueue(encoder.encode(chunks[at++]!));
      else if (error !== undefined) controller.error(error);
      else controller.close();
    },
  });
  return new Response(body, { headers });
}

describe('readCappedBody', () => {
  it('reads a body up to the cap as UTF-8 text, as Response.text() would', async () => {
    expect(await readCappedBody(streamed(['{"a":', '"é"}']), 100)).toEqual({ kind: 'text', text: '{"a":"é"}' });
    expect(await readCappedBody(new Response(null), 100)).toEqual({ kind: 'text', text: '' });
  });

  it('stops at the cap, counting bytes as they arrive, and reads no further', async () => {
    let pulled = 0;
    const endless = new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled++;
          controller.enqueue(new Uint8Array(1024));
        },
      }),
    );
    expect(await readCappedBody(endless, 10_000)).toEqual({ kind: 'tooLarge', bytes: 10_240, maxBytes: 10_000 });
    expect(pulled).toBeLessThan(15);
  });

  it('refuses a declared Content-Length over the cap before reading', async () => {
    const declared = streamed(['x'], undefined, { 'content-length': '5000' });
    expect(await readCappedBody(declared, 100)).toEqual({ kind: 'tooLarge', bytes: 5000, maxBytes: 100 });
  });

  it('never rejects: a body cut off is data, with the bytes read before', async () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const read = await readCappedBody(streamed(['abc', 'de'], timeout), 100);
    expect(read).toEqual({ kind: 'failed', error: timeout, bytes: 5 });
  });
});
