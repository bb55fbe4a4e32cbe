import type { EventType } from './eventTypes.js';

/** What a subscriber or query wants; absent fields match everything. */
export interface EventFilter {
  readonly event_types?: readonly EventType[];
  readonly session_id?: string;
  readonly user_id?: string;
  readonly source?: string;
}

/** The keys of an EventFilter, in the order the protocol documents them. */
export const FILTER_KEYS = [
  'event_types',
  'session_id',
  'user_id',
  'source',
] as const satisfies readonly (keyof EventFilter)[];

/** The fields of an event that filters look at. */
export interface Filterable {
  readonly event_type: string;
  readonly session_id: string | null;
  readonly user_id: string | null;
  readonly source: string;
}

/** True when `event` satisfies every field of `filter` (the naive reference matcher). */
export function matchesFilter(filter: EventFilter, event: Filterable): boolean {
  if (
    filter.event_types !== undefined &&
    filter.event_types.length > 0 &&
    !filter.event_types.includes(event.event_type as EventType)
  ) {
    return false;
  }
  if (filter.session_id !== undefined && filter.session_id !== event.session_id) return false;
  if (filter.user_id !== undefined && filter.user_id !== event.user_id) return false;
  if (filter.source !== undefined && filter.source !== event.source) return false;
  return true;
}
