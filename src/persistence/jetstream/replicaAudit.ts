import type { EventFilter } from '../../protocol/eventFilter.js';
import type { StoredEvent } from '../../protocol/eventRecord.js';
import type { NoopOffset } from '../replicaNoops.js';
import { auditEntry, type ReplicaSlot } from './auditEntry.js';
import { messageHeaders } from './eventMessage.js';

/** A stream message as the audit reads it: its body, and its headers (the floor, see FLOOR_HEADER). */
interface AuditedMessage {
  readonly data: Uint8Array;
  readonly header?: { get(name: string): string };
}

/** What the audit reads of the replica. */
export interface AuditedReplica {
  firstOffset(): number;
  readFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number): StoredEvent[];
  noopOffsets(fromOffset: number, limit: number): NoopOffset[];
  getById(id: string): StoredEvent | null;
}

/** What the audit asks of JetStream: one stored message by sequence (null when the stream no longer holds it). */
export interface MessageGetter {
  readonly streams: {
    getMessage(stream: string, query: { seq: number }): Promise<AuditedMessage | null>;
  };
}

export interface ReplicaAuditOptions {
  readonly jsm: MessageGetter;
  readonly stream: string;
  readonly replica: AuditedReplica;
  /** The last sequence the replica applied: nothing above it is checked. */
  readonly appliedSeq: () => number;
  /** REPLICA_AUDIT_PER_SECOND: offsets checked per second at most (0: none). */
  readonly perSecond: number;
  readonly onNotice: (line: string) => void;
  /** Why the replica holds offsets the stream does not (ReplicaAhead), for figures(); absent: never. */
  readonly ahead?: () => string | null;
  /** Ask the stream's state (ReplicaApplier.askStream), which tells a purge from a stream behind the replica. */
  readonly askStream?: () => Promise<unknown>;
}

const TICK_MS = 250;

/**
 * Checks this node's replica against the stream leader, offset by offset, over and over at a bounded rate: each
 * offset's message is read with STREAM.MSG.GET (answered by the stream's leader) and held against what the replica
 * applied there. Why: a node applies what the server hosting its consumer serves, and nats-server 2.9.10 was seen to
 * keep different messages at one sequence on different servers after repeated leader kills (README, Cluster mode), so
 * nodes served different events at one offset while every check said ready. The first difference found is kept (a
 * replica is rebuilt, not mended): /readiness then answers 503 naming it and `pipeline_replica_divergent` is 1.
 */
export class ReplicaAudit {
  /** The first difference found, as /readiness tells it; null while none. */
  divergence: string | null = null;
  /** The last offset checked in the current pass (0 before the first). */
  checkedUpTo = 0;
  /** Whole passes over the replica finished. */
  passes = 0;
  private cursor = 0;
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: ReplicaAuditOptions) {}

  /** For /metrics (see ClusterFigures): a replica ahead of the stream differs from it too. */
  figures(): { divergence: string | null; auditedUpTo: number } {
    return { divergence: this.divergence ?? this.options.ahead?.() ?? null, auditedUpTo: this.checkedUpTo };
  }

  start(): void {
    if (this.options.perSecond > 0) this.timer ??= setInterval(() => void this.step(), TICK_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One tick's share of the rate, from where the last one stopped; a failed read leaves the cursor for the next. */
  async step(): Promise<void> {
    if (this.busy || this.stopped || this.divergence !== null) return;
    this.busy = true;
    try {
      await this.checkNext(Math.max(1, Math.ceil((this.options.perSecond * TICK_MS) / 1_000)));
    } catch {
      // Hint: the stream did not answer (no leader, no connection); /readiness says so already. Asked again next tick.
    } finally {
      this.busy = false;
    }
  }

  private async checkNext(budget: number): Promise<void> {
    const { jsm, stream, replica, appliedSeq } = this.options;
    const applied = appliedSeq();
    if (this.cursor > applied) {
      // Hint: past the head: a new pass from the first offset, since a leader change can change what it serves.
      if (this.checkedUpTo > 0) this.passes++;
      this.cursor = 0;
    }
    const from = Math.max(this.cursor, replica.firstOffset(), 1);
    const upTo = Math.min(applied, from + budget - 1);
    if (upTo < from) return;
    const seqs = Array.from({ length: upTo - from + 1 }, (_, i) => from + i);
    const messages = await Promise.all(seqs.map((seq) => jsm.streams.getMessage(stream, { seq })));
    // Hint: null: purged or past a limit since (the replica follows), or beyond a stream that lost its tail since the
    // replica applied it (its state says which: ReplicaAhead).
    if (messages.includes(null)) await this.options.askStream?.();
    // Hint: the replica may have closed meanwhile (shutdown); reading it then would be no difference.
    if (this.stopped) return;
    for (const [i, message] of messages.entries()) {
      const seq = seqs[i]!;
      const difference = message === null ? null : this.differenceAt(seq, message.data, message.header);
      if (difference !== null) return this.diverged(seq, difference);
    }
    this.cursor = upTo + 1;
    this.checkedUpTo = upTo;
  }

  private differenceAt(seq: number, data: Uint8Array, headers: AuditedMessage['header']): string | null {
    const { replica } = this.options;
    let slot: ReplicaSlot;
    try {
      slot = this.slotAt(seq);
    } catch (error) {
      return `the replica cannot read it (${error instanceof Error ? error.message : String(error)})`;
    }
    const { floor } = messageHeaders(headers);
    return auditEntry(seq, data, slot, (id) => replica.getById(id)?.offset ?? null, floor);
  }

  private slotAt(seq: number): ReplicaSlot {
    const { replica } = this.options;
    const [record] = replica.readFrom(seq, {}, 1, seq);
    if (record !== undefined) return { kind: 'record', record };
    const [noop] = replica.noopOffsets(seq, 1);
    return noop?.offset === seq ? { kind: 'noop', reason: noop.reason } : { kind: 'none' };
  }

  private diverged(seq: number, difference: string): void {
    this.divergence =
      `this node's replica differs from stream ${this.options.stream} at offset ${seq} as its leader serves it ` +
      `(${difference}): reads here are not the cluster's log; stop this node, delete its DATABASE_PATH file and ` +
      'start it again to rebuild the replica from the stream';
    this.options.onNotice(this.divergence);
    this.stop();
  }
}
