import type { BodyBudget, BodyRefusal } from './bodyBudget.js';
import { HttpError } from './httpError.js';
import type { Reply } from './reply.js';

/** The text of a body's refusal at a BodyBudget bound: the bound's setting and value, and that a retry will do. */
function refusalText(refusal: BodyRefusal, budget: BodyBudget): string {
  return refusal === 'MAX_BODY_BUFFER_BYTES'
    ? `the server is receiving too many request bodies at once (MAX_BODY_BUFFER_BYTES: ${budget.limit}); retry shortly`
    : `this address is sending too many request bodies at once (MAX_BODY_BUFFER_BYTES_PER_IP: ${budget.perAddress}); retry shortly`;
}

/**
 * Read the whole body, refusing more than `limit` bytes with a 413, and a chunk that would pass what the bodies being
 * received may hold (`budget`, held until the reply ends: answered or aborted): a retryable 503 for all of them
 * together, a 429 for the client address's share. `onRefused` is told which bound refused one. Every chunk runs
 * inside the reply's boundary; a refusal part way closes the connection once answered (a soak probe: uWS armed no
 * idle timeout after an answer that came before the end of its chunked body, so the connection stayed open for good
 * once the last chunk came, holding a descriptor). Hint: a body that comes whole in its first chunk is charged to no address (reading the
 * peer's address cost 3.7 µs a request, 7% of `ingest-rest`'s server CPU); only a body that comes in pieces can stall.
 */
export function readBody(
  reply: Reply,
  limit: number,
  held: {
    readonly budget: BodyBudget;
    readonly address: () => string;
    readonly onRefused?: (bound: BodyRefusal) => void;
    /** The request's Content-Length header (empty when none). */
    readonly contentLength?: string;
  },
  onBody: (body: Buffer) => void,
): void {
  const { budget } = held;
  // Hint: a body declared too large is refused before a byte of it is read: read first, a client that sent 1 byte of a
  // declared 100 MB, or 10 MiB of 10 MiB + 1, got no answer at all, only a close ~11 s later (a probe).
  if (/^\d+$/.test(held.contentLength ?? '') && Number(held.contentLength) > limit)
    throw new HttpError(413, `request body exceeds ${limit} bytes (Content-Length: ${held.contentLength})`);
  let address: string | null = null;
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  reply.whenFinished(() => budget.give(address, size));
  reply.res.onData((chunk, isLast) =>
    reply.run(() => {
      if (refused || reply.finished) return;
      if (size + chunk.byteLength > limit) {
        refused = true;
        reply.closeAfterAnswer();
        throw new HttpError(413, `request body exceeds ${limit} bytes`);
      }
      if (address === null && !isLast) address = held.address();
      const refusal = budget.take(address, chunk.byteLength);
      if (refusal !== null) {
        refused = true;
        reply.closeAfterAnswer();
        held.onRefused?.(refusal);
        const status = refusal === 'MAX_BODY_BUFFER_BYTES' ? 503 : 429;
        throw new HttpError(status, refusalText(refusal, budget), { 'Retry-After': '1' });
      }
      size += chunk.byteLength;
      // Hint: uWS reuses the chunk's memory after this callback, so copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    }),
  );
}
