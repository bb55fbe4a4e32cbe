import type { EventLog } from '../persistence/eventLog.js';
import { formatIssues } from '../protocol/issue.js';
import { tooDeepAt } from '../protocol/jsonDepth.js';
import {
  describeFilter,
  ignoredFilterKeys,
  ignoredSubscribeKeys,
  parseFilters,
  parseSubscribe,
  type SubscribeRequest,
} from '../protocol/subscribeMessage.js';
import { nestsDeeperThan } from '../protocol/textDepth.js';
import type { SubscriberEvent, SubscriptionPlan } from './subscriberMachine.js';

/** What turning a subscriber's message into an actor event needs. */
export interface SubscriberProtocolDeps {
  readonly log: Pick<EventLog, 'headOffset' | 'firstOffset' | 'epoch'>;
  /** MAX_JSON_DEPTH: deeper messages get an error naming the field. */
  readonly maxJsonDepth: number;
}

/** `ack` with `ignored` added when the message carried keys the protocol does not know. */
function withIgnored(ack: Record<string, unknown>, ignored: readonly string[]): Record<string, unknown> {
  if (ignored.length > 0) ack.ignored = ignored;
  return ack;
}

const reply = (message: object): SubscriberEvent => ({ type: 'subscriber.reply', message });

function typeOf(message: unknown): unknown {
  return typeof message === 'object' && message !== null && 'type' in message ? message.type : undefined;
}

/**
 * One text message from a subscriber, as the event its actor handles: its subscription first (while
 * `awaitingConfig`), then ping and update_filters; anything else is an error reply.
 */
export function subscriberCommand(
  id: string,
  text: string,
  awaitingConfig: boolean,
  deps: SubscriberProtocolDeps,
): SubscriberEvent | null {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (error) {
    // Hint: the old service answers an unparseable subscribe message, and ignores unparseable ones after it.
    return awaitingConfig
      ? reply({ status: 'error', message: `Invalid JSON: ${error instanceof Error ? error.message : String(error)}` })
      : null;
  }
  if (nestsDeeperThan(text, deps.maxJsonDepth)) {
    const field = tooDeepAt(message, deps.maxJsonDepth) ?? 'message';
    return reply({
      status: 'error',
      message: `${field === 'body' ? 'message' : field}: nested deeper than ${deps.maxJsonDepth} levels (MAX_JSON_DEPTH)`,
    });
  }
  const type = typeOf(message);
  if (type === 'ping') return reply({ type: 'pong' });
  if (awaitingConfig) {
    const parsed = parseSubscribe(message);
    if (!parsed.ok) return reply({ status: 'error', message: formatIssues(parsed.issues) });
    return {
      type: 'subscriber.configure',
      plan: planSubscription(id, parsed.value, ignoredSubscribeKeys(message), deps.log),
    };
  }
  if (type === 'update_filters') {
    const raw = typeof message === 'object' && message !== null && 'filters' in message ? message.filters : undefined;
    const parsed = parseFilters(raw ?? {});
    if (!parsed.ok) return reply({ status: 'error', message: formatIssues(parsed.issues) });
    const ack = withIgnored(
      { status: 'filters_updated', filters: describeFilter(parsed.value) },
      ignoredFilterKeys(message),
    );
    return { type: 'subscriber.updateFilters', filter: parsed.value, reply: ack };
  }
  return reply({
    status: 'error',
    message: `unknown message type ${JSON.stringify(type ?? null)}; expected "ping" or "update_filters"`,
  });
}

/**
 * The subscription: ack with the log's head and epoch (and any retention gap), then replay or go live.
 * A from_offset beyond the head starts at the head (the ack says so), so checkpoints never fall below it.
 */
export function planSubscription(
  id: string,
  request: SubscribeRequest,
  ignored: readonly string[],
  log: SubscriberProtocolDeps['log'],
): SubscriptionPlan {
  const head = log.headOffset();
  const ack: Record<string, unknown> = {
    status: 'subscribed',
    subscriber_id: id,
    filters: describeFilter(request.filter),
    head_offset: head,
    epoch: log.epoch,
  };
  let start = request.from_offset === null ? head + 1 : Math.max(1, request.from_offset);
  if (request.from_offset !== null) {
    ack.from_offset = request.from_offset;
    const first = log.firstOffset();
    // Hint: offsets start at 1, so from_offset 0 on a never-trimmed log has lost nothing.
    if (start < first && start <= head) {
      ack.retention = {
        truncated: true,
        first_available_offset: first,
        message: `offsets before ${first} were deleted by retention; replay starts at ${first}`,
      };
    }
    if (start > head + 1) {
      ack.from_offset = head + 1;
      ack.beyond_head = {
        requested_from_offset: request.from_offset,
        message: `from_offset ${request.from_offset} is beyond the head (${head}); starting at ${head + 1}`,
      };
      start = head + 1;
    }
  }
  const { filter, batch, checkpoints } = request;
  return { filter, batch, checkpoints, start, replay: start <= head, ack: withIgnored(ack, ignored) };
}
