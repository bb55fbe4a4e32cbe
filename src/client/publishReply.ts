import { PublishProtocolError, PublishRejectedError } from './errors.js';
import { asSolo, type Message, settleFromAck, splitToSolo, type Unit } from './publishBatcher.js';
import type { PublishQueue } from './publishQueue.js';
import { ackMismatch, type PublishReply, type ReplyProblem, readReplyText } from './replyShape.js';

/** What a reply frame asks of the publisher: `acked` when it acknowledged a message, `retry` the reason to back off. */
export interface ReplyOutcome {
  readonly acked: boolean;
  readonly retry: string | null;
}

const NOTHING: ReplyOutcome = { acked: false, retry: null };
const ACKED: ReplyOutcome = { acked: true, retry: null };

/**
 * Read a reply frame and apply it to the message it answers (the one its `ref` names, else the oldest awaiting an
 * answer). Never throws: a reply that breaks the protocol fails that message's publishes with PublishProtocolError
 * (at once: resending to a server that answers so would only loop), and one naming no message awaiting an answer
 * (already answered, or failed at its deadline) changes nothing.
 */
export function answerFrame(queue: PublishQueue, text: string): ReplyOutcome {
  const reply = readReplyText(text);
  // Hint: the notice has no ref, so it was taken as the answer to the oldest message, failing a valid event for good;
  // the close that follows it puts that event back to be resent with its id instead.
  if (reply.kind === 'notice') return NOTHING;
  const message = queue.answered(reply.ref);
  return message === undefined ? NOTHING : applyReply(queue, message, reply);
}

/**
 * Apply a reply to the message it answers: settle its units, or put them back in `queue` to be sent again. `retry`:
 * the server asked for a retry (the units are back as they were; the caller backs off).
 */
export function applyReply(
  queue: PublishQueue,
  message: Message,
  reply: Exclude<PublishReply, { kind: 'notice' }>,
): ReplyOutcome {
  if (reply.kind === 'invalid') return failInvalid(message.units, reply.problem);
  if (reply.kind === 'ack') {
    const mismatch = ackMismatch(reply.ack, message);
    if (mismatch !== null) return failInvalid(message.units, mismatch);
    // Hint: an older server's ack that leaves offsets unknown; alone, each event's ack says its offset.
    if (!settleFromAck(message, reply.ack)) queue.putBack(message.ref, splitToSolo(queue.unexpired(message.units)));
    return ACKED;
  }
  if (reply.retryable) {
    queue.putBack(message.ref, message.units);
    return { acked: false, retry: reply.message };
  }
  if (message.units.length > 1) {
    // Hint: one bad event refuses the whole message; resend each unit alone so only the bad one fails.
    queue.putBack(message.ref, asSolo(queue.unexpired(message.units)));
  } else {
    const unit = message.units[0]!;
    unit.reject(rejectionFor(unit, reply.message, reply.code));
  }
  return NOTHING;
}

/** Fail each unit of a message whose reply broke the protocol, naming what was wrong. */
function failInvalid(units: readonly Unit[], problem: ReplyProblem): ReplyOutcome {
  for (const unit of units) unit.reject(new PublishProtocolError(problem.problem, problem.field, unit.ids));
  return NOTHING;
}

/** The error for a unit the server refused on its own (not retryable). */
export function rejectionFor(unit: Unit, message: string, code: number | null): PublishRejectedError {
  // Hint: the client always sends an envelope, so the server says `[0].source`, or `events[0].payload.n` for integers
  // it names as written (and nesting, until 2026-12-07); a batch reads `[0].payload.n`, a single publish `payload.n`.
  // Each issue's clause (after `; `) names its field so too: `id: must not be empty; id: may contain only …`.
  const inBatch = message.replace(/(^|; )events(?=\[\d+\])/g, '$1');
  return new PublishRejectedError(unit.events.length === 1 ? inBatch.replace(/(^|; )\[0\]\./g, '$1') : inBatch, code);
}
