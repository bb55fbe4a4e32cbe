import { TOO_MANY_INVALID_MESSAGES } from '../protocol/wsPublishLimits.js';
import { PublishRejectedError } from './errors.js';
import {
  asSolo,
  type BatchAck,
  type Message,
  type ServerReply,
  settleFromAck,
  splitToSolo,
  type Unit,
} from './publishBatcher.js';
import type { PublishQueue } from './publishQueue.js';

/** A `/ws/publish` reply: an ack or an error, whichever fields the server sent. */
export type PublishReply = ServerReply & Partial<BatchAck>;

/** Parse a reply frame; undefined when it answers no message (such frames are ignored): not JSON, or connectionNotice. */
export function parseReply(text: string): PublishReply | undefined {
  let reply: PublishReply;
  try {
    reply = JSON.parse(text) as PublishReply;
  } catch {
    return undefined;
  }
  return connectionNotice(reply) ? undefined : reply;
}

/**
 * Whether a reply is the server's notice about the connection (too many invalid messages; its close follows), not
 * the answer to a message. Hint: it has no `ref`, so it was taken as the answer to the oldest message awaiting one,
 * and failed a valid event for good; the close puts that event back to be resent with its id instead.
 */
export function connectionNotice(reply: PublishReply): boolean {
  return reply.ref === undefined && reply.status === 'error' && !!reply.message?.startsWith(TOO_MANY_INVALID_MESSAGES);
}

/** The error for a unit the server refused on its own (not retryable). */
export function rejectionFor(unit: Unit, reply: PublishReply): PublishRejectedError {
  // Hint: the client always sends an envelope, so the server says `[0].source`; a single publish reads `source`.
  const text = reply.message ?? 'rejected';
  return new PublishRejectedError(unit.events.length === 1 ? text.replace(/^\[0\]\./, '') : text, reply.code ?? null);
}

/**
 * Apply a reply to the message it answers: settle its units, or put them back in `queue` to be sent again. Returns
 * true when the server asked for a retry (the units are back as they were; the caller backs off).
 */
export function applyReply(queue: PublishQueue, message: Message, reply: PublishReply): boolean {
  if (reply.status === 'ok') {
    if (!settleFromAck(message, reply as BatchAck))
      queue.putBack(message.ref, splitToSolo(queue.unexpired(message.units)));
  } else if (reply.retryable === true) {
    queue.putBack(message.ref, message.units);
    return true;
  } else if (message.units.length > 1) {
    // Hint: one bad event refuses the whole message; resend each unit alone so only the bad one fails.
    queue.putBack(message.ref, asSolo(queue.unexpired(message.units)));
  } else {
    const unit = message.units[0]!;
    unit.reject(rejectionFor(unit, reply));
  }
  return false;
}
