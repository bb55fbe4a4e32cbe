import fc from 'fast-check';
import type { EventBody } from './pipelineRest.js';
import type { WireRecord } from './wsClient.js';

/** A subscriber's filter as sent; an absent key (or empty `event_types`) means no filter on it. */
export interface Filter {
  event_types?: string[];
  session_id?: string;
  user_id?: string;
  source?: string;
}

/** The reference rule a routed record must satisfy, written from the README, not from the router. */
export function matches(filter: Filter, r: WireRecord): boolean {
  return (
    (filter.event_types === undefined ||
      filter.event_types.length === 0 ||
      filter.event_types.includes(r.event_type)) &&
    (filter.session_id === undefined || r.session_id === filter.session_id) &&
    (filter.user_id === undefined || r.user_id === filter.user_id) &&
    (filter.source === undefined || r.source === filter.source)
  );
}

export const TYPES = ['quiz_started', 'answer_submitted', 'timer_tick'];
const pool = (prefix: string) => fc.constantFrom(`${prefix}0`, `${prefix}1`, `${prefix}2`);

/** Events over small pools of types, sources, sessions and users, so random filters often match. */
export const eventArb: fc.Arbitrary<EventBody> = fc.record({
  event_type: fc.constantFrom(...TYPES),
  source: pool('src'),
  session_id: fc.option(pool('s'), { nil: null }),
  user_id: fc.option(pool('u'), { nil: null }),
});

export const filterArb: fc.Arbitrary<Filter> = fc.record(
  { event_types: fc.subarray(TYPES), session_id: pool('s'), user_id: pool('u'), source: pool('src') },
  { requiredKeys: [] },
);

/** Publish events over /ws/publish (pipelined, acks read at the next settle) or POST /events. */
export interface PublishOp {
  readonly kind: 'publish';
  readonly via: 'ws' | 'rest';
  readonly events: EventBody[];
}

export const publishOpArb: fc.Arbitrary<PublishOp> = fc.record({
  kind: fc.constant('publish' as const),
  via: fc.constantFrom('ws' as const, 'rest' as const),
  events: fc.array(eventArb, { minLength: 1, maxLength: 25 }),
});

/** Wait for every publish so far to be acked. */
export const settleOpArb = fc.record({ kind: fc.constant('settle' as const) });
