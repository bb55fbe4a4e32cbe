import { type EventFilter, matchesFilter } from '../protocol/eventFilter.js';
import type { EventRecord } from './types.js';

/** What a records frame gives the subscription (see StreamOrder.admit). */
export interface Admission {
  /** The records to buffer, in offset order: those before any violation that match the filters. */
  readonly records: readonly EventRecord[];
  /**
   * What to tell the consumer (after the records): records that do not match the filters, and records below where the
   * connection started (received already), neither handed out.
   */
  readonly notices: readonly string[];
  /** Why a record breaks the offset order (it and those after it in the frame are not admitted), or null. */
  readonly violation: string | null;
}

/**
 * The filters as the server applies them: an absent, null or empty field matches everything (README, /ws/subscribe).
 * Hint: the reference matcher reads `session_id: ''` as "only an empty session id", which no event has.
 */
export function effectiveFilter(filters: EventFilter | undefined): EventFilter {
  const out: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {};
  if (filters === undefined || filters === null) return out;
  if (Array.isArray(filters.event_types) && filters.event_types.length > 0) out.event_types = filters.event_types;
  for (const key of ['session_id', 'user_id', 'source'] as const) {
    const value: unknown = filters[key];
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  return out;
}

/**
 * One connection's offset order: after its ack, records must come from where it started, each after everything the
 * connection sent before (records and checkpoints), and match the subscription's filters. Hint: the server sends
 * matching records in offset order and a checkpoint N only once it has considered every offset up to N
 * (src/actors/subscriberSweep.ts), so a record at or below N after it, or a record twice, is a server bug; the buffer
 * used to drop such a record silently, which could hide one the consumer never got.
 */
export class StreamOrder {
  /** The filters as the server applies them (see effectiveFilter). */
  readonly filter: EventFilter;
  private first = Number.POSITIVE_INFINITY;
  /** Infinity until the ack: no record is in order before it (a checkpoint is ignored). */
  private last = Number.POSITIVE_INFINITY;
  private what = '';

  constructor(filters: EventFilter | undefined) {
    this.filter = effectiveFilter(filters);
  }

  /** The connection's ack came (start was called). */
  get started(): boolean {
    return this.first !== Number.POSITIVE_INFINITY;
  }

  /** The ack: the server sends records from `first` on. */
  start(first: number): void {
    this.first = first;
    this.last = first - 1;
    this.what = 'where this connection started';
  }

  /**
   * Admit a frame's records in order, up to the first that breaks it. A record below the connection's start is one
   * received already (everything below it was, or a checkpoint passed it): dropped, not a reason to reconnect, since
   * the next connection would start at the same place.
   */
  admit(records: readonly EventRecord[]): Admission {
    const admitted: EventRecord[] = [];
    const foreign: number[] = [];
    const replayed: number[] = [];
    const stop = (violation: string | null): Admission => ({
      records: admitted,
      notices: admissionNotices(foreign, replayed, this.filter),
      violation,
    });
    if (!this.started && records.length > 0) return stop('records before the subscribe ack');
    for (const record of records) {
      const { offset } = record;
      if (offset < this.first) {
        replayed.push(offset);
        continue;
      }
      if (offset <= this.last)
        return stop(
          `record at offset ${offset} is not after offset ${this.last} (${this.what}): records must come in offset order`,
        );
      this.last = offset;
      this.what = 'a record';
      if (matchesFilter(this.filter, record)) admitted.push(record);
      else foreign.push(offset);
    }
    return stop(null);
  }

  /** A checkpoint: true when it moves the connection on (one behind what was sent changes nothing and is ignored). */
  checkpoint(offset: number): boolean {
    if (!this.started || offset < this.last) return false;
    if (offset > this.last) this.what = 'a checkpoint';
    this.last = offset;
    return true;
  }
}

/** Offsets for a notice, the first five. */
const listed = (offsets: readonly number[]): string =>
  offsets.slice(0, 5).join(', ') + (offsets.length > 5 ? `, … (${offsets.length} in all)` : '');

/** The notices of an admission: records sent again below the start, and records not matching the filters. */
function admissionNotices(foreign: readonly number[], replayed: readonly number[], filter: EventFilter): string[] {
  const notices: string[] = [];
  if (replayed.length > 0)
    notices.push(
      `protocol error: the server sent again record(s) below where this connection asked to start (offsets ${listed(replayed)}): received already, not handed out again`,
    );
  if (foreign.length > 0)
    notices.push(
      `protocol error: the server sent record(s) that do not match this subscription's filters ${JSON.stringify(filter)} (offsets ${listed(foreign)}): not handed out`,
    );
  return notices;
}
