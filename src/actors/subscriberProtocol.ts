import type { EventLog } from '../persistence/eventLog.js';
import { formatIssues } from '../protocol/issue.js';
import { describeFilter, parseFilters, parseSubscribe } from '../protocol/subscribeMessage.js';
import type { Subscriber } from './subscriber.js';

/** What the /ws/subscribe protocol needs from the pipeline. */
export interface SubscriberProtocolDeps {
  readonly log: EventLog;
  readonly now: () => number;
  /** File the subscriber under its (new) filter in the routing index. */
  reindex(subscriber: Subscriber): void;
}

/** One text message from a subscriber: its subscription first, then ping and update_filters. */
export function handleSubscriberMessage(subscriber: Subscriber, text: string, deps: SubscriberProtocolDeps): void {
  subscriber.lastActivity = deps.now();
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    subscriber.sendControl({ status: 'error', message: 'message is not valid JSON' });
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
    subscriber.sendControl({ status: 'filters_updated', filters: describeFilter(parsed.value) });
    return;
  }
  subscriber.sendControl({ status: 'error', message: `unknown message type ${JSON.stringify(type ?? null)}; expected "ping" or "update_filters"` });
}

/** The subscription: ack with the log's head and epoch (and any retention gap), then replay or go live. */
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
  if (request.from_offset !== null) {
    ack.from_offset = request.from_offset;
    const first = log.firstOffset();
    if (request.from_offset < first && request.from_offset <= head) {
      ack.retention = { truncated: true, first_available_offset: first, message: `offsets before ${first} were deleted by retention; replay starts at ${first}` };
    }
  }
  subscriber.sendControl(ack);
  deps.reindex(subscriber);
  // Replay from an offset, else go live from the next commit.
  subscriber.nextOffset = request.from_offset === null ? head + 1 : Math.max(1, request.from_offset);
  subscriber.actor.send({ type: 'subscriber.configured', replay: request.from_offset !== null && request.from_offset <= head });
}
