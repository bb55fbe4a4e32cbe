import type { HttpResponse } from 'uWebSockets.js';

/** Bytes of `body` as it goes out (UTF-8 for text). */
export function byteLength(body: string | Buffer): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

/**
 * End `res` with `body` (`size` bytes; status and headers already written) as far as the socket takes it now, and hold
 * the rest to send as the client reads, calling `sent` once it is all out; true when it went out at once. Why: uWS's
 * `end` copies whatever the socket cannot take into its own buffer and is then done, so uWS goes on to the next request
 * pipelined on that connection: 1,000 pipelined GETs of 0.9 MB answers on a connection that did not read took the
 * server from 213 to 1,126 MB. `tryEnd` never buffers the body; while the answer is held, uWS closes the connection
 * rather than answer a request pipelined behind it, so a connection holds at most one answer. A held answer needs an
 * onAborted handler before the request handler returns: uWS terminates the process otherwise.
 */
export function endOrHold(res: HttpResponse, body: string | Buffer, size: number, sent: () => void): boolean {
  const [, done] = res.tryEnd(body, size);
  if (!done) holdRest(res, typeof body === 'string' ? Buffer.from(body) : body, size, sent);
  return done;
}

/**
 * Send the rest of `bytes` as the socket drains. Hint: a function of its own, so the closure that waits for onWritable
 * keeps only the bytes (not the caller's string, its headers or its reply).
 */
function holdRest(res: HttpResponse, bytes: Buffer, size: number, sent: () => void): void {
  res.onWritable((offset) => {
    try {
      const [ok, done] = res.tryEnd(bytes.subarray(offset), size);
      if (done) sent();
      return ok;
    } catch {
      // Hint: the socket went away between uWS's call and the write; its onAborted releases what was held.
      return true;
    }
  });
}

/**
 * Write one chunk, corked; false when uWS kept part of it to send later (wait for onWritable). Hint: a function of its
 * own, so no closure that waits for onWritable shares a scope with the chunk: such a closure kept each stalled
 * reader's piece alive (6 MB for 100 records of 60 KB) beside uWS's own copy of the unsent part.
 */
export function corkedWrite(res: HttpResponse, piece: string): boolean {
  let written = true;
  res.cork(() => {
    written = res.write(piece);
  });
  return written;
}
