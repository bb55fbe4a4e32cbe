import type { EventFilter } from '../protocol/eventFilter.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { SubscriberSocket } from './subscriber.js';
import type { TopicPublisher } from './topicPort.js';

/** One subscriber as the router knows it. */
export interface Route {
  readonly id: string;
  /** The group its current filter files it under. */
  group: TopicGroup;
  /** The group whose topic its socket is subscribed to, or null (per-subscriber delivery or lagging). */
  joined: TopicGroup | null;
  /** A requested join waiting until every offset below this has been routed. */
  joinAt: number | null;
  socket: SubscriberSocket | null;
}

/**
 * Subscribers with the same filter and framing: the index files the group once, a commit is matched against it once,
 * and its topic members get one publish per record (one per frame with batch:true) instead of a message each.
 */
export interface TopicGroup {
  readonly key: string;
  readonly filter: EventFilter;
  readonly batch: boolean;
  /**
   * The uWS topic name. Hint: every group has one, a per-session subscriber's too: a publish is one C++ call where a
   * delivery is an actor message, a transition and a write (fanout at 20,000/s: 11% less I/O-thread CPU, p99 lower
   * in five of eight interleaved pairs; bench/HISTORY.md has the runs).
   */
  readonly topic: string;
  readonly routes: Set<Route>;
  /** Routes subscribed to the topic. */
  readonly joined: Set<Route>;
  /**
   * Records of the commit being routed, null between commits. Hint: an empty array kept here from one commit to the
   * next (1,000 session groups wait seconds between their commits) made V8 pretenure the array's allocation site;
   * the arrays then died in the old generation, and every record they had held (with its publish message) survived
   * the scavenges until a full GC (bench/HISTORY.md, "Pretenuring").
   */
  matched: StoredEvent[] | null;
  /** The publisher of its members' server (set by the first join), and publishing state. */
  publisher?: TopicPublisher;
  /** Bytes (UTF-8) published since the members' buffers were last checked against the bound. */
  bytesSinceCheck?: number;
  /**
   * The fullest member's buffer at that check, in bytes (a member that joined since counts with what it held then,
   * less bytesSinceCheck): no member holds more than this plus bytesSinceCheck.
   */
  fullestAtCheck?: number;
  /** When the topic last carried records (monotonic; members' activity, for the keepalive rule). */
  lastPublished?: number;
}

/** The group key: equal for filters that match the same records and subscribers that take the same framing. */
export function groupKey(filter: EventFilter, batch: boolean): string {
  const types = filter.event_types === undefined ? [] : [...new Set(filter.event_types)].sort();
  return JSON.stringify([batch, filter.session_id ?? null, filter.user_id ?? null, filter.source ?? null, types]);
}

/**
 * Cut serialized records into batch:true frames of at most `limit` bytes (one record alone when it is larger). Hint:
 * bytes as sent (UTF-8), not string length: a record of CJK text is 3 bytes a character, so counting characters let
 * frames reach 3× the documented cut.
 */
export function batchFrames(texts: readonly string[], limit: number): string[] {
  const frames: string[] = [];
  let out = '';
  /** The UTF-8 bytes of `out` once closed with `]`. */
  let bytes = 0;
  for (const text of texts) {
    const size = Buffer.byteLength(text, 'utf8');
    if (out !== '' && bytes + 1 + size > limit) {
      frames.push(`${out}]`);
      out = '';
    }
    if (out === '') {
      out = `[${text}`;
      bytes = size + 2;
    } else {
      out += `,${text}`;
      bytes += size + 1;
    }
  }
  if (out !== '') frames.push(`${out}]`);
  return frames;
}
