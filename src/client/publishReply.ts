import { PublishRejectedError } from './errors.js';
import type { BatchAck, ServerReply, Unit } from './publishBatcher.js';

/** A `/ws/publish` reply: an ack or an error, whichever fields the server sent. */
export type PublishReply = ServerReply & Partial<BatchAck>;

/** Parse a reply frame; undefined when it is not JSON (such frames are ignored). */
export function parseReply(text: string): PublishReply | undefined {
  try {
    return JSON.parse(text) as PublishReply;
  } catch {
    return undefined;
  }
}

/** The error for a unit the server refused on its own (not retryable). */
export function rejectionFor(unit: Unit, reply: PublishReply): PublishRejectedError {
  // Hint: the client always sends an envelope, so the server says `[0].source`; a single publish reads `source`.
  const text = reply.message ?? 'rejected';
  return new PublishRejectedError(unit.events.length === 1 ? text.replace(/^\[0\]\./, '') : text, reply.code ?? null);
}
