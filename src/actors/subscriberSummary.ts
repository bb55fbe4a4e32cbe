import type { EventFilter } from '../protocol/eventFilter.js';
import type { SubscriberContext } from './subscriber.js';
import type { SubscriberMode } from './subscriberMachine.js';

/** A subscriber's mode as GET /subscribers names it (closed actors are about to be forgotten and are left out). */
export type SubscriberModeName = 'awaiting_config' | 'replaying' | 'live' | 'lagging';

/** What the listing reads of one subscriber actor's snapshot. */
export interface SubscriberFacts {
  readonly id: string;
  readonly mode: SubscriberMode;
  readonly filter: EventFilter;
  /** First offset not yet delivered. */
  readonly nextOffset: number;
  /** Wall-clock epoch ms (the context holds monotonic readings: see wallTimes). */
  readonly openedAt: number;
  readonly lastActivity: number;
}

/** One row of GET /subscribers. */
export interface SubscriberSummary {
  readonly id: string;
  readonly mode: SubscriberModeName;
  readonly filter: EventFilter;
  /** Null until the subscribe message arrived. */
  readonly next_offset: number | null;
  readonly last_delivered: number | null;
  /** Head offset minus last delivered (never below 0); null until configured. */
  readonly lag: number | null;
  readonly connected_at: number;
  readonly last_activity: number;
}

/** GET /subscribers: counts over every subscriber, rows for the `limit` most lagging. */
export interface SubscriberListing {
  readonly head_offset: number;
  readonly total: number;
  readonly by_mode: Readonly<Record<SubscriberModeName, number>>;
  readonly subscribers: readonly SubscriberSummary[];
}

/**
 * The facts of a subscriber actor's snapshot (an actor that is no longer active counts as closed), its times turned
 * from monotonic readings into wall-clock ones by `wall` (wallTimes).
 */
export function subscriberFacts(
  snapshot: { readonly status: string; readonly value: SubscriberMode; readonly context: SubscriberContext },
  wall: (reading: number) => number,
): SubscriberFacts {
  const { id, filter, nextOffset, openedAt, lastActivity } = snapshot.context;
  const mode = snapshot.status === 'active' ? snapshot.value : 'closed';
  return { id, mode, filter, nextOffset, openedAt: wall(openedAt), lastActivity: wall(lastActivity) };
}

const MODE_NAMES: Readonly<Record<Exclude<SubscriberMode, 'closed'>, SubscriberModeName>> = {
  awaitingConfig: 'awaiting_config',
  // Hint: its from_offset waits for the stream's word; it has no ack yet, as far as the client can tell.
  confirming: 'awaiting_config',
  replaying: 'replaying',
  live: 'live',
  lagging: 'lagging',
};

/**
 * The last offset sent to a subscriber. Live: everything routed so far (even when nothing matched), as the
 * checkpoint rule says; replaying or lagging: the offset before the next one it will read from the log.
 */
export function lastDelivered(mode: SubscriberMode, nextOffset: number, routedUpTo: number): number | null {
  if (mode === 'awaitingConfig' || mode === 'confirming' || mode === 'closed') return null;
  return mode === 'live' ? Math.max(routedUpTo, nextOffset - 1) : nextOffset - 1;
}

/** One subscriber's row, lag measured against the log's head. */
export function summarizeSubscriber(
  facts: SubscriberFacts,
  head: number,
  routedUpTo: number,
): SubscriberSummary | null {
  if (facts.mode === 'closed') return null;
  const delivered = lastDelivered(facts.mode, facts.nextOffset, routedUpTo);
  return {
    id: facts.id,
    mode: MODE_NAMES[facts.mode],
    filter: facts.filter,
    // Hint: live records go out by topic, so the facts' nextOffset stays where it went live; what was routed since counts.
    next_offset: delivered === null ? null : delivered + 1,
    last_delivered: delivered,
    lag: delivered === null ? null : Math.max(0, head - delivered),
    connected_at: facts.openedAt,
    last_activity: facts.lastActivity,
  };
}

/** Count every subscriber by mode and keep the `limit` most lagging rows (unconfigured last, then by id). */
export function listSubscribers(
  all: Iterable<SubscriberFacts>,
  head: number,
  routedUpTo: number,
  limit: number,
): SubscriberListing {
  const byMode: Record<SubscriberModeName, number> = { awaiting_config: 0, replaying: 0, live: 0, lagging: 0 };
  const rows: SubscriberSummary[] = [];
  for (const facts of all) {
    const row = summarizeSubscriber(facts, head, routedUpTo);
    if (row === null) continue;
    byMode[row.mode]++;
    rows.push(row);
  }
  rows.sort((a, b) => (b.lag ?? -1) - (a.lag ?? -1) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { head_offset: head, total: rows.length, by_mode: byMode, subscribers: rows.slice(0, limit) };
}
