import type { SubmitOutcome } from '../actors/pipelinePort.js';
import { decodePublishMessage } from '../protocol/decodePublishMessage.js';
import type { EventInput } from '../protocol/eventInput.js';
import { fastEventBatch, fastSingleEvent } from '../protocol/fastPublish.js';
import { listedNames } from '../protocol/ignoredNames.js';
import { formatIssues } from '../protocol/issue.js';
import { lossyIntegerMessage, storedLossyInteger } from '../protocol/lossyIntegers.js';
import { NON_FINITE_MESSAGE, nulledValueIn } from '../protocol/nulledValues.js';
import {
  ignoredEnvelopeFields,
  ignoredEventFields,
  publishInputs,
  readPublishMessage,
  storedParts,
} from '../protocol/publishMessage.js';
import { withRef, wsPublishAckText } from '../protocol/publishReply.js';
import { errorMessage, type ServerMessage } from '../protocol/serverMessages.js';
import { submitRefusalMessage } from '../protocol/submitRefusal.js';
import { decodeUtf8 } from '../protocol/utf8Text.js';
import type { PublishDeps } from './wsPublish.js';
import { notUtf8, tooLarge } from './wsText.js';

/** One /ws/publish message's reply slot, as reading the message fills it. */
export interface PublishSlot {
  isBatch: boolean;
  ref: unknown;
  ignored: readonly string[];
  /** The events submitted, once they are (a 409 names a batch's own two events with one id). */
  submitted: readonly EventInput[];
  /** Fill the slot with a reply text and the highest offset it acknowledges (0 for an error). */
  reply(text: string, offset: number): void;
  /** Answer with an error for a message that was not valid (counted against the producer's budget). */
  refuse(text: string): void;
  /** `where` threw: log it and answer an internal error. */
  failed(where: string, error: unknown): void;
}

/** An error reply, rendered. */
function rendered(body: ServerMessage): string {
  return JSON.stringify(body);
}

/** The group commit's answer to one message: its ack (or refusal) fills the message's reply slot. */
export function settled(outcome: SubmitOutcome, slot: PublishSlot): void {
  try {
    const ack = wsPublishAckText(outcome, slot.isBatch, slot.ref, slot.ignored, slot.submitted);
    slot.reply(ack.text, ack.offset);
  } catch (error) {
    slot.failed('ws publish ack', error);
  }
}

/** Read one /ws/publish message's bytes: refuse what is too large or not UTF-8, else parse and submit it. */
export function readMessage(message: ArrayBuffer, ip: string, deps: PublishDeps, slot: PublishSlot): void {
  const { config } = deps;
  if (message.byteLength > config.maxWsMessageBytes) {
    slot.refuse(rendered(tooLarge(message, config)));
    return;
  }
  const decoded = decodeUtf8(message);
  if (decoded === null) slot.refuse(rendered(notUtf8(message)));
  else handlePublish(decoded, ip, deps, slot);
}

/** Parse one /ws/publish message and submit it; `ref` is echoed in the reply. */
function handlePublish(text: string, ip: string, deps: PublishDeps, slot: PublishSlot): void {
  const { config } = deps;
  // Hint: the common shapes (one event, an array, the SDK's envelope) skip JSON.parse and the payloads'
  // re-serialization (same inputs, same replies).
  const fast = fastSingleEvent(text, config);
  if (fast !== null) {
    if (!rateLimited(ip, undefined, deps, slot)) submit([fast], false, undefined, deps, slot);
    return;
  }
  const batch = fastEventBatch(text, config);
  if (batch !== null) {
    if (!rateLimited(ip, batch.ref, deps, slot)) submit(batch.inputs, true, batch.ref, deps, slot);
    return;
  }
  const decoded = decodePublishMessage(text, config);
  if (!decoded.ok) {
    slot.refuse(rendered(withRef(errorMessage(decoded.message), decoded.ref)));
    return;
  }
  const message = readPublishMessage(decoded.value, 'message');
  const { ref, isBatch } = message;
  // Hint: checked before any reply echoes it: JSON would echo it as null.
  const badRef = nulledValueIn({ ref });
  if (badRef !== null) {
    slot.refuse(rendered(errorMessage(`${badRef.path}: ${NON_FINITE_MESSAGE}`)));
    return;
  }
  const lossy = storedLossyInteger(text, () => storedParts(decoded.value, message));
  if (lossy !== null) {
    const field = lossy.path || 'message';
    // Hint: a ref holding the integer would be echoed changed, which no client could match to its message.
    const inRef = field === 'ref' || field.startsWith('ref.') || field.startsWith('ref[');
    const error = errorMessage(`${field}: ${lossyIntegerMessage(lossy.token)}`);
    slot.refuse(rendered(inRef ? error : withRef(error, ref)));
    return;
  }
  if (rateLimited(ip, ref, deps, slot)) return;
  const parsed = publishInputs(message, config, 'message');
  if (!parsed.ok) {
    slot.refuse(rendered(withRef(errorMessage(formatIssues(parsed.issues.summarized())), ref)));
    return;
  }
  // Hint: the fast paths above take only the known fields, so only this path can meet fields it ignores.
  const ignored = ignoredEventFields(message.items, !isBatch);
  const outer = ignoredEnvelopeFields(decoded.value, message);
  slot.ignored = listedNames(outer.length === 0 ? ignored : [...new Set([...outer, ...ignored])]);
  submit(parsed.value, isBatch, ref, deps, slot);
}

/** Take a token for `ip`; without one, reply the 429 and return true. */
function rateLimited(ip: string, ref: unknown, deps: PublishDeps, slot: PublishSlot): boolean {
  const wait = deps.limiter.take(ip);
  if (wait <= 0) return false;
  const refusal = errorMessage(deps.limiter.refusal(wait), { retryable: true, code: 429 });
  slot.reply(rendered(withRef(refusal, ref)), 0);
  return true;
}

/** Hand validated inputs to the pipeline; the ack (or a refusal) fills this message's reply slot. */
function submit(inputs: EventInput[], isBatch: boolean, ref: unknown, deps: PublishDeps, slot: PublishSlot): void {
  const { pipeline } = deps;
  slot.isBatch = isBatch;
  slot.ref = ref;
  slot.submitted = inputs;
  const refusal = pipeline.submit(inputs, settled, slot);
  if (refusal !== null) {
    const message = submitRefusalMessage(refusal, deps.config, 'server shutting down; retry against the next instance');
    slot.reply(rendered(withRef(errorMessage(message, { retryable: true }), ref)), 0);
  }
}
