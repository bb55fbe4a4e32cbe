import type { EventLog } from '../persistence/eventLog.js';
import { errorMessage, filtersUpdated, PONG } from '../protocol/serverMessages.js';
import { asksBeyondKnown, type LogPosition, subscriptionStart } from '../protocol/subscribedAck.js';
import type { SubscribeRequest } from '../protocol/subscribeMessage.js';
import { readSubscriberMessage } from '../protocol/subscriberMessage.js';
import type { SubscriberEvent, SubscriberMode, SubscriptionPlan } from './subscriberMachine.js';

/** What turning a subscriber's message into an actor event needs. */
export interface SubscriberProtocolDeps {
  readonly log: Pick<EventLog, 'headOffset' | 'firstOffset' | 'epoch' | 'knownHead' | 'confirmKnownHead'>;
  /** MAX_JSON_DEPTH: deeper messages get an error naming the field. */
  readonly maxJsonDepth: number;
}

/** A subscription waiting for the log to confirm its from_offset (see EventLog.confirmKnownHead). */
export interface PendingStart {
  readonly request: SubscribeRequest;
  readonly ignored: readonly string[];
}

/** A subscriber's message as the supervisor handles it: an event for its actor, or a from_offset to confirm first. */
export type SubscriberCommand = SubscriberEvent | ({ readonly type: 'subscriber.confirm' } & PendingStart);

const CONFIRMING_FILTERS =
  'update_filters: this connection is not subscribed yet (its from_offset is being confirmed with the stream); ' +
  'send it after the subscribed ack; the filter was not changed';

/**
 * One text message from a subscriber, as the event its actor handles: its subscription first (while
 * `awaitingConfig`), then ping and update_filters; anything else is an error reply, and null means send nothing. A
 * subscription beyond what a cluster node knows exists is `subscriber.confirm`: the stream is asked first.
 */
export function subscriberCommand(
  id: string,
  text: string,
  mode: SubscriberMode,
  deps: SubscriberProtocolDeps,
): SubscriberCommand | null {
  const message = readSubscriberMessage(text, mode === 'awaitingConfig' ? 'subscribe' : 'live', deps.maxJsonDepth);
  switch (message.type) {
    case 'ignore':
      return null;
    case 'error':
      return { type: 'subscriber.reply', message: errorMessage(message.message) };
    case 'ping':
      return { type: 'subscriber.reply', message: PONG };
    case 'subscribe': {
      const { request, ignored } = message;
      if (deps.log.confirmKnownHead !== undefined && asksBeyondKnown(request, positionOf(deps.log)))
        return { type: 'subscriber.confirm', request, ignored };
      return { type: 'subscriber.configure', plan: planSubscription(id, request, ignored, deps.log) };
    }
    case 'update_filters':
      if (mode === 'confirming') return { type: 'subscriber.reply', message: errorMessage(CONFIRMING_FILTERS) };
      return {
        type: 'subscriber.updateFilters',
        filter: message.filters,
        reply: filtersUpdated(message.filters, message.ignored),
      };
  }
}

/** Where the log stands now; `confirmed` is the highest offset the stream said exists, when it was asked. */
function positionOf(log: SubscriberProtocolDeps['log'], confirmed = 0): LogPosition {
  const head = log.headOffset();
  const known = Math.max(head, log.knownHead?.() ?? head, confirmed);
  return { head, known, epoch: log.epoch, firstOffset: () => log.firstOffset() };
}

/**
 * The subscription planned against the log: the ack to send, where delivery starts, and whether replay comes first;
 * `confirmed` is the stream's answer for a subscription that waited for it.
 */
export function planSubscription(
  id: string,
  request: SubscribeRequest,
  ignored: readonly string[],
  log: SubscriberProtocolDeps['log'],
  confirmed?: number,
): SubscriptionPlan {
  const position = positionOf(log, confirmed);
  const { head } = position;
  const { ack, start } = subscriptionStart(id, request, position, ignored);
  const { filter, batch, checkpoints } = request;
  return { filter, batch, checkpoints, start, replay: start <= head, ack };
}
