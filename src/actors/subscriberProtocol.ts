import type { EventLog } from '../persistence/eventLog.js';
import { errorMessage, filtersUpdated, PONG } from '../protocol/serverMessages.js';
import { subscriptionStart } from '../protocol/subscribedAck.js';
import type { SubscribeRequest } from '../protocol/subscribeMessage.js';
import { readSubscriberMessage } from '../protocol/subscriberMessage.js';
import type { SubscriberEvent, SubscriptionPlan } from './subscriberMachine.js';

/** What turning a subscriber's message into an actor event needs. */
export interface SubscriberProtocolDeps {
  readonly log: Pick<EventLog, 'headOffset' | 'firstOffset' | 'epoch' | 'knownHead'>;
  /** MAX_JSON_DEPTH: deeper messages get an error naming the field. */
  readonly maxJsonDepth: number;
}

/**
 * One text message from a subscriber, as the event its actor handles: its subscription first (while
 * `awaitingConfig`), then ping and update_filters; anything else is an error reply, and null means send nothing.
 */
export function subscriberCommand(
  id: string,
  text: string,
  awaitingConfig: boolean,
  deps: SubscriberProtocolDeps,
): SubscriberEvent | null {
  const message = readSubscriberMessage(text, awaitingConfig ? 'subscribe' : 'live', deps.maxJsonDepth);
  switch (message.type) {
    case 'ignore':
      return null;
    case 'error':
      return { type: 'subscriber.reply', message: errorMessage(message.message) };
    case 'ping':
      return { type: 'subscriber.reply', message: PONG };
    case 'subscribe':
      return { type: 'subscriber.configure', plan: planSubscription(id, message.request, message.ignored, deps.log) };
    case 'update_filters':
      return {
        type: 'subscriber.updateFilters',
        filter: message.filters,
        reply: filtersUpdated(message.filters, message.ignored),
      };
  }
}

/** The subscription planned against the log: the ack to send, where delivery starts, and whether replay comes first. */
function planSubscription(
  id: string,
  request: SubscribeRequest,
  ignored: readonly string[],
  log: SubscriberProtocolDeps['log'],
): SubscriptionPlan {
  const head = log.headOffset();
  const known = Math.max(head, log.knownHead?.() ?? head);
  const position = { head, known, epoch: log.epoch, firstOffset: () => log.firstOffset() };
  const { ack, start } = subscriptionStart(id, request, position, ignored);
  const { filter, batch, checkpoints } = request;
  return { filter, batch, checkpoints, start, replay: start <= head, ack };
}
