import { HttpError } from './httpError.js';
import type { Reply } from './reply.js';

/** Read the whole body, refusing more than `limit` bytes with a 413; every chunk runs inside the reply's boundary. */
export function readBody(reply: Reply, limit: number, onBody: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  reply.res.onData((chunk, isLast) =>
    reply.run(() => {
      if (tooLarge) return;
      size += chunk.byteLength;
      if (size > limit) {
        tooLarge = true;
        throw new HttpError(413, `request body exceeds ${limit} bytes`);
      }
      // Hint: uWS reuses the chunk's memory after this callback, so copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    }),
  );
}
