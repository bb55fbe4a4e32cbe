import type { EventLog } from '../persistence/eventLog.js';
import { formatIssues } from '../protocol/issue.js';
import { tooDeepAt } from '../protocol/jsonDepth.js';
import { describeFilter, ignoredFilterKeys, ignoredSubscribeKeys, parseFilters, parseSubscribe } from '../protocol/subscribeMessage.js';
import { nestsDeeperThan } from '../protocol/textDepth.js';
import type { Subscriber } from './subscriber.js';

/** What the /ws/subscribe protocol needs from the pipeline. */
export interface SubscriberProtocolDeps {
  readonly log: EventLog;
  readonly now: () => number;
  /** MAX_JSON_DEPTH: deeper messages get an error naming the field. */
  readonly maxJsonDepth: number;
  /** File the subscriber under its (new) filter in the routing index. */
  reindex(subscriber: Subscriber): void;
}

/** `ack` with `ignored` added when the message carried keys the protocol does not know. */
function withIgnored(ack: Record<string, unknown>, ignored: readonly string[]): Record<string, unknown> {
  if (ignored.length > 0) ack.ignored = ignored;
  return ack;
}

/** One text message from a subscriber: its subscription first, then ping and update_filters. */
export function handleSubscriberMessage(subscriber: Subscriber, text: string, deps: SubscriberProtocolDeps): void {
  subscriber.lastActivity = deps.now();
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (error) {
    // Hint: the old service answers an unparseable subscribe message, and ignores unparseable ones after it.
    if (subscriber.mode === 'awaitingConfig') subscriber.sendControl({ status: 'error', message: `Invalid JSON: ${(error as Error).message}` });
    return;
  }
  if (nestsDeeperThan(text, deps.maxJsonDepth)) {
    const field = tooDeepAt(message, deps.maxJsonDepth) ?? 'message';
    subscriber.sendControl({ status: 'error', message: `${field === 'body' ? 'message' : field}: nested deeper than ${deps.maxJsonDepth} levels (MAX_JSON_DEPTH)` });
    return;
  }
  const type = typeof message === 'object' && message !== null && 'type' in message ? (message as { type: unknown }).type : undefined;
  if (type === 'ping') {
    subscriber.sendControl({ type: 'pong' });
    return;
  }
  if (subscriber.mode === 'awaitingConfig') {
    configure(subscriber, message, deps);
    return;
  }
  if (type === 'update_filters') {
    const parsed = parseFilters((message as { filters?: unknown }).filters ?? {});
    if (!parsed.ok) {
      subscriber.sendControl({ status: 'error', message: formatIssues(parsed.issues) });
      return;
    }
    subscriber.filter = parsed.value;
    deps.reindex(subscriber);
    subscriber.sendControl(withIgnored({ status: 'filters_updated', filters: describeFilter(parsed.value) }, ignoredFilterKeys(message)));
    return;
  }
  subscriber.sendControl({ status: 'error', message: `unknown message type ${JSON.stringify(type ?? null)}; expected "ping" or "update_filters"` });
}

/**
 * The subscription: ack with the log's head and epoch (and any retention gap), then replay or go live.
 * A from_offset beyond the head starts at the head (the ack says so), so checkpoints never fall below it.
 */
function configure(subscriber: Subscriber, message: unknown, deps: SubscriberProtocolDeps): void {
  const parsed = parseSubscribe(message);
  if (!parsed.ok) {
    subscriber.sendControl({ status: 'error', message: formatIssues(parsed.issues) });
    return;
  }
  const request = parsed.value;
  const { log } = deps;
  const head = log.headOffset();
  subscriber.filter = request.filter;
  subscriber.batch = request.batch;
  subscriber.checkpoints = request.checkpoints;
  const ack: Record<string, unknown> = {
    status: 'subscribed',
    subscriber_id: subscriber.id,
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
      ack.retention = { truncated: true, first_available_offset: first, message: `offsets before ${first} were deleted by retention; replay starts at ${first}` };
    }
    if (start > head + 1) {
      ack.from_offset = head + 1;
      ack.beyond_head = { requested_from_offset: request.from_offset, message: `from_offset ${request.from_offset} is beyond the head (${head}); starting at ${head + 1}` };
      start = head + 1;
    }
  }
  subscriber.sendControl(withIgnored(ack, ignoredSubscribeKeys(message)));
  deps.reindex(subscriber);
  // Replay from an offset, else go live from the next commit.
  subscriber.nextOffset = start;
  subscriber.actor.send({ type: 'subscriber.configured', replay: start <= head });
}
