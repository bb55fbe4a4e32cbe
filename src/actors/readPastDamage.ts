import { type EventLog, LogCorruptError } from '../persistence/eventLog.js';
import { nextReadable } from '../persistence/readableRows.js';
import type { StoredEvent } from '../protocol/eventRecord.js';

/** A page of the log read past damage: its records, and the offset to read on from (null: none left to read). */
export interface PageAround {
  readonly records: readonly StoredEvent[];
  readonly next: number | null;
}

/**
 * Up to `size` records of the log from offset `at` up to `head`; where a damaged page cuts the page short
 * (INTEGRITY_CHECK=off), the records before it, and `next` after it. Hint: the read that met it named it (LogDamage);
 * a scan at start (session catch-up) goes on with the rest, as the tail's does, instead of giving up on all of it.
 */
export function readPastDamage(log: EventLog, at: number, size: number, head: number): PageAround {
  const damaged = (read: () => readonly StoredEvent[]): readonly StoredEvent[] | null => {
    try {
      return read();
    } catch (error) {
      if (error instanceof LogCorruptError) return null;
      throw error;
    }
  };
  const whole = damaged(() => log.readFrom(at, {}, size, head));
  if (whole !== null) return { records: whole, next: whole.length < size ? null : whole[whole.length - 1]!.offset + 1 };
  // Hint: the longest readable prefix, by halving the page (a read with a LIMIT stops before the row after it).
  let records: readonly StoredEvent[] = [];
  for (let lo = 0, hi = size; hi - lo > 1; ) {
    const mid = Math.floor((lo + hi) / 2);
    const prefix = damaged(() => log.readFrom(at, {}, mid, head));
    if (prefix === null) hi = mid;
    else [lo, records] = [mid, prefix];
  }
  const last = records.length > 0 ? records[records.length - 1]!.offset : at - 1;
  const next = nextReadable(last, head, (offset) => log.readFrom(offset, {}, 1, head)[0]?.offset);
  return { records, next: next === null || next <= last ? null : next };
}
