import type { EventFilter, Filterable } from '../protocol/eventFilter.js';
import { matchesFilter } from '../protocol/eventFilter.js';

/** Anything the index can hold: it only needs the subscriber's current filter. */
export interface Indexed {
  readonly filter: EventFilter;
}

type Key = { kind: 'session' | 'user' | 'source' | 'type'; value: string } | { kind: 'all' };

/**
 * Inverted index from event fields to subscribers, so routing cost grows with the subscribers that could match an
 * event, not with all subscribers. Each subscriber is filed under its single most selective key (session, then
 * user, then source, then each of its event types), and candidates are confirmed with the full filter.
 */
export class SubscriberIndex<S extends Indexed> {
  private readonly bySession = new Map<string, Set<S>>();
  private readonly byUser = new Map<string, Set<S>>();
  private readonly bySource = new Map<string, Set<S>>();
  private readonly byType = new Map<string, Set<S>>();
  private readonly everything = new Set<S>();
  private readonly keys = new Map<S, Key[]>();

  get size(): number {
    return this.keys.size;
  }

  add(subscriber: S): void {
    this.remove(subscriber);
    const keys = keysOf(subscriber.filter);
    for (const key of keys) this.bucket(key, true)!.add(subscriber);
    this.keys.set(subscriber, keys);
  }

  remove(subscriber: S): void {
    const keys = this.keys.get(subscriber);
    if (keys === undefined) return;
    for (const key of keys) {
      const bucket = this.bucket(key, false);
      bucket?.delete(subscriber);
      if (bucket !== undefined && bucket.size === 0 && key.kind !== 'all') this.mapOf(key.kind).delete(key.value);
    }
    this.keys.delete(subscriber);
  }

  /** Call `visit` once for every subscriber whose filter matches `event`. */
  forEachMatch(event: Filterable, visit: (subscriber: S) => void): void {
    const check = (bucket: Set<S> | undefined) => {
      if (bucket === undefined) return;
      for (const subscriber of bucket) if (matchesFilter(subscriber.filter, event)) visit(subscriber);
    };
    // Hint: an empty map is not asked; a lookup hashes a string the event has not hashed yet (fanout: 3 of 4 maps).
    if (event.session_id !== null && this.bySession.size > 0) check(this.bySession.get(event.session_id));
    if (event.user_id !== null && this.byUser.size > 0) check(this.byUser.get(event.user_id));
    if (this.bySource.size > 0) check(this.bySource.get(event.source));
    if (this.byType.size > 0) check(this.byType.get(event.event_type));
    check(this.everything);
  }

  private mapOf(kind: 'session' | 'user' | 'source' | 'type'): Map<string, Set<S>> {
    return kind === 'session'
      ? this.bySession
      : kind === 'user'
        ? this.byUser
        : kind === 'source'
          ? this.bySource
          : this.byType;
  }

  private bucket(key: Key, create: boolean): Set<S> | undefined {
    if (key.kind === 'all') return this.everything;
    const map = this.mapOf(key.kind);
    let bucket = map.get(key.value);
    if (bucket === undefined && create) {
      bucket = new Set();
      map.set(key.value, bucket);
    }
    return bucket;
  }
}

/** The buckets a filter is filed under; a type filter files under each type (an event has exactly one type). */
function keysOf(filter: EventFilter): Key[] {
  if (filter.session_id !== undefined) return [{ kind: 'session', value: filter.session_id }];
  if (filter.user_id !== undefined) return [{ kind: 'user', value: filter.user_id }];
  if (filter.source !== undefined) return [{ kind: 'source', value: filter.source }];
  if (filter.event_types !== undefined && filter.event_types.length > 0) {
    return [...new Set(filter.event_types)].map((value) => ({ kind: 'type' as const, value }));
  }
  return [{ kind: 'all' }];
}
