import type { BodyBudget } from './bodyBudget.js';
import { HttpError } from './httpError.js';
import type { Reply } from './reply.js';

/**
 * Read the whole body, refusing more than `limit` bytes with a 413, and with a retryable 503 a chunk that would pass
 * what every body being received may hold together (`budget`, held until the reply ends: answered or aborted).
 * Every chunk runs inside the reply's boundary.
 */
export function readBody(reply: Reply, limit: number, budget: BodyBudget, onBody: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  reply.whenFinished(() => budget.give(size));
  reply.res.onData((chunk, isLast) =>
    reply.run(() => {
      if (refused || reply.finished) return;
      if (size + chunk.byteLength > limit) {
        refused = true;
        throw new HttpError(413, `request body exceeds ${limit} bytes`);
      }
      if (!budget.take(chunk.byteLength)) {
        refused = true;
        throw new HttpError(
          503,
          `the server is receiving too many request bodies at once (MAX_BODY_BUFFER_BYTES: ${budget.limit}); retry shortly`,
          { 'Retry-After': '1' },
        );
      }
      size += chunk.byteLength;
      // Hint: uWS reuses the chunk's memory after this callback, so copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    }),
  );
}
