import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { ReplicaAhead } from './replicaAhead.js';
import type { StreamOrigin } from './streamIdentity.js';

/** What the applier feeds: one stream message at a time, in sequence order; a throw stops and retries it later. */
export interface ReplicaSink {
  /** The next sequence the replica needs (its last applied + 1). */
  nextSeq(): number;
  /** A stream message, with its floor (FLOOR_HEADER; 1 when none): what is below it is deleted first. */
  apply(seq: number, msgId: string | null, data: Uint8Array, floor?: number): void;
  /** Sequence `seq` holds nothing to apply (deleted from the stream on its own): a recorded no-op offset. */
  skip(seq: number, reason: string): void;
  /** The stream's first sequence is now `firstSeq` (a purge or a limit removed what was below). */
  follow(firstSeq: number): number;
  /** How far `follow` may delete (see PurgeMarks); unbounded when absent. */
  permitted?(): number;
  /** A recorded purge (or a limit) removed what lies below `cut`: `follow` may delete up to it. */
  allow?(cut: number): void;
  /** Say that `firstSeq` passed every recorded purge while the replica holds events there (it keeps them). */
  tellUnmarked?(firstSeq: number): void;
  /** The stream holds messages up to `lastSeq` at least (from its state, or a message and its pending count). */
  noteLast(lastSeq: number): void;
  /** Why it stopped applying for good (a message of a layout it cannot read), or null; none if absent. */
  readonly refusal?: string | null;
}

/** What the applier needs: the stream, where messages go, and where its notices go. */
export interface ReplicaApplierOptions {
  readonly js: JetStreamClient;
  /** Reads single messages by sequence from the stream leader (the fallback while no consumer can be made). */
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly sink: ReplicaSink;
  readonly onNotice: (message: string) => void;
  /** The recorded purges' cut (PurgeMarks): the replica deletes no further; every first sequence is followed if absent. */
  readonly marks?: { read(): Promise<number | null>; raise?(cut: number): Promise<void> };
  /** Pause before a consumer is recreated after a failure (ms). */
  readonly retryMs?: number;
  /** How often the stream's first sequence is asked for, to follow purges and limits (ms). */
  readonly followMs?: number;
  /** Told the stream's last sequence against the replica's head at each answer (a stream behind it); none if absent. */
  readonly ahead?: ReplicaAhead;
  /**
   * The stream this replica holds, as opened: a stream under the same name with another creation time is a new log,
   * and one whose description was edited to name another epoch is refused until it is put back (see identityChange).
   */
  readonly origin?: StreamOrigin;
  /** The clock of the stream's presence and availability graces and of the notices (Date.now when absent). */
  readonly now?: () => number;
}
