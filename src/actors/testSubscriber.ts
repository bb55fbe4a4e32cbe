import type { EventFilter } from '../protocol/eventFilter.js';
import type { FakeSocket } from './fakeSocket.js';
import type { ManualScheduler } from './manualScheduler.js';
import type { SubscriberContext, SubscriberLimits } from './subscriber.js';

/**
 * A subscriber's context for replay unit tests: batch:true unless `batch` says otherwise, every record unless `filter`
 * (pass the same object to keep a filter: a changed filter is a new object), nothing read ahead.
 */
export function subscriberContext(
  socket: FakeSocket,
  log: SubscriberContext['io']['log'],
  scheduler: ManualScheduler,
  limits: SubscriberLimits,
  nextOffset: number,
  { batch = true, filter = {} }: { readonly batch?: boolean; readonly filter?: EventFilter } = {},
): SubscriberContext {
  return {
    id: 'sub',
    io: { socket, log, limits, scheduler, delivered: () => {} },
    filter,
    batch,
    checkpoints: false,
    nextOffset,
    stalledSince: null,
    lastActivity: 0,
    openedAt: 0,
    recordBytes: 0,
    onTopic: false,
    ahead: null,
  };
}
