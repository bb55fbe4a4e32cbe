import { EVENT_TYPES, type EventType } from '../protocol/eventTypes.js';

const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES);

/**
 * A session's counts in one fixed order: EVENT_TYPES order, then any other key sorted. Hint: the folds add keys in
 * the order they meet them (records by arrival, a summary in EVENT_TYPES order, merges in between), so a node that
 * lived through the events and one rebuilt from the stream served the same counts in different byte orders.
 */
export function orderedCounts(
  counts: Readonly<Partial<Record<EventType, number>>>,
): Partial<Record<EventType, number>> {
  const ordered: Partial<Record<EventType, number>> = {};
  for (const type of EVENT_TYPES) {
    const count = counts[type];
    if (count !== undefined) ordered[type] = count;
  }
  const others = (Object.keys(counts) as EventType[]).filter((key) => !KNOWN.has(key)).sort();
  for (const key of others) {
    const count = counts[key];
    if (count !== undefined) ordered[key] = count;
  }
  return ordered;
}
