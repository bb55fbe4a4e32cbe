import { createActor, type Actor } from 'xstate';
import type { EventLog } from '../persistence/eventLog.js';
import type { EventFilter } from '../protocol/eventFilter.js';
import { recordJson, type StoredEvent } from '../protocol/eventRecord.js';
import { subscriberMachine, type SubscriberMode } from './subscriberMachine.js';

/** The socket operations a subscriber needs; src/http adapts a uWS WebSocket to it. */
export interface SubscriberSocket {
  send(text: string): void;
  bufferedAmount(): number;
  cork(fn: () => void): void;
  end(code: number, reason: string): void;
}

/** The largest batch:true message (replay page or live commit); larger sets of records go out as several. */
export const MAX_BATCH_MESSAGE_BYTES = 1024 * 1024;
/** Rows in a subscriber's first replay page, before it knows how large the records are. */
const FIRST_PAGE_ROWS = 64;

/** Tuning shared by all subscribers. */
export interface SubscriberLimits {
  /** Socket buffer above which live pushes stop and the subscriber catches up from the log. */
  readonly bufferBytes: number;
  /** Rows per replay read. */
  readonly replayPage: number;
  /** Longest synchronous replay slice before yielding to the event loop. */
  readonly replaySliceMs: number;
}

/** The replay cursor and what the replay loop needs from the pipeline. */
export interface SubscriberContext {
  readonly log: EventLog;
  readonly limits: SubscriberLimits;
  readonly now: () => number;
  /** Count delivered events (for /stats). */
  delivered(count: number): void;
  /** Schedule a replay continuation (setImmediate in production). */
  defer(fn: () => void): void;
}

/**
 * One /ws/subscribe connection. Its lifecycle is an xstate actor; its data path is plain code guarded by `mode`
 * (no xstate send per event). `nextOffset` is the first offset not yet delivered when replaying or lagging.
 */
export class Subscriber {
  readonly actor: Actor<typeof subscriberMachine>;
  mode: SubscriberMode = 'awaitingConfig';
  filter: EventFilter = {};
  batch = false;
  checkpoints = false;
  nextOffset = 1;
  /** When the subscriber last stopped making progress (lagging, or replay blocked on a full socket). */
  stalledSince: number | null = null;
  lastActivity: number;
  readonly openedAt: number;
  /** Records matched in the current group commit, written once per batch. */
  outbox: StoredEvent[] = [];
  private pumping = false;
  /** Mean record size of the last replay page, so a page of large records stays near the socket bound. */
  private recordBytes = 0;

  constructor(
    readonly id: string,
    readonly socket: SubscriberSocket,
    private readonly context: SubscriberContext,
  ) {
    this.openedAt = context.now();
    this.lastActivity = this.openedAt;
    this.actor = createActor(subscriberMachine, {
      input: { hooks: { setMode: (mode) => (this.mode = mode), startCatchUp: () => this.context.defer(() => this.pump()) } },
    });
  }

  /** Write this group commit's matches; fall back to catching up from the log if the socket is over its bound. */
  flushOutbox(lastOffsetOfCommit: number, json: (record: StoredEvent) => string = recordJson): void {
    const records = this.outbox;
    this.outbox = [];
    if (this.mode !== 'live' || records.length === 0) return;
    if (this.socket.bufferedAmount() > this.context.limits.bufferBytes) {
      this.lag(records[0]!.offset);
      return;
    }
    this.write(records, json);
    if (this.socket.bufferedAmount() > this.context.limits.bufferBytes) this.lag(lastOffsetOfCommit + 1);
  }

  /** The socket drained: a lagging subscriber resumes catching up, a blocked replay continues. */
  onDrain(): void {
    if (this.socket.bufferedAmount() > this.context.limits.bufferBytes / 2) return;
    if (this.mode === 'lagging') this.actor.send({ type: 'subscriber.drained' });
    else if (this.mode === 'replaying') this.pump();
  }

  /** Send a control message (ack, pong, checkpoint). */
  sendControl(message: object): void {
    this.socket.send(JSON.stringify(message));
    this.lastActivity = this.context.now();
  }

  private lag(resumeFrom: number): void {
    this.nextOffset = resumeFrom;
    this.stalledSince = this.context.now();
    this.actor.send({ type: 'subscriber.lagged' });
  }

  /** Largest batch message: a batch:true message is cut here (or at one record, when a record is larger). */
  private get batchBytes(): number {
    return Math.min(MAX_BATCH_MESSAGE_BYTES, Math.max(1, Math.floor(this.context.limits.bufferBytes / 2)));
  }

  private write(records: readonly StoredEvent[], json: (record: StoredEvent) => string = recordJson): void {
    this.socket.cork(() => {
      if (!this.batch) {
        for (const record of records) this.socket.send(json(record));
        return;
      }
      const limit = this.batchBytes;
      let out = '';
      for (const record of records) {
        const text = json(record);
        if (out !== '' && out.length + text.length + 2 > limit) {
          this.socket.send(`${out}]`);
          out = '';
        }
        out += out === '' ? `[${text}` : `,${text}`;
      }
      if (out !== '') this.socket.send(`${out}]`);
    });
    this.lastActivity = this.context.now();
    this.context.delivered(records.length);
  }

  private writeJson(records: readonly string[]): number {
    let bytes = 0;
    this.socket.cork(() => {
      if (!this.batch) {
        for (const record of records) {
          this.socket.send(record);
          bytes += record.length;
        }
        return;
      }
      const limit = this.batchBytes;
      let out = '';
      for (const record of records) {
        if (out !== '' && out.length + record.length + 2 > limit) {
          this.socket.send(`${out}]`);
          out = '';
        }
        out += out === '' ? `[${record}` : `,${record}`;
        bytes += record.length;
      }
      if (out !== '') this.socket.send(`${out}]`);
    });
    this.lastActivity = this.context.now();
    this.context.delivered(records.length);
    return bytes;
  }

  /**
   * Rows for the next replay page: about one socket bound's worth of records of the last page's size, so large
   * records never put many megabytes into the socket in one synchronous step (the first page is small for the same reason).
   */
  private pageRows(): number {
    const { replayPage, bufferBytes } = this.context.limits;
    if (this.recordBytes === 0) return Math.min(replayPage, FIRST_PAGE_ROWS);
    return Math.max(1, Math.min(replayPage, Math.floor(bufferBytes / this.recordBytes)));
  }

  /**
   * Catch up from the log until the head, then go live in the same synchronous turn. Routing happens synchronously
   * after each commit, so nothing committed can fall between the last replayed offset and the first live one.
   */
  pump(): void {
    if (this.pumping || this.mode !== 'replaying') return;
    this.pumping = true;
    try {
      const { log, limits } = this.context;
      const started = performance.now();
      for (;;) {
        const head = log.headOffset();
        if (this.nextOffset > head) {
          this.stalledSince = null;
          this.actor.send({ type: 'subscriber.caughtUp' });
          return;
        }
        if (this.socket.bufferedAmount() > limits.bufferBytes) {
          this.stalledSince ??= this.context.now();
          return; // onDrain continues
        }
        this.stalledSince = null;
        // Hint: bound the scanned range too, so a sparse filter over a huge log never blocks the loop for long.
        const upTo = Math.min(head, this.nextOffset + limits.replayPage * 20 - 1);
        const rows = this.pageRows();
        const page = log.readJsonFrom(this.nextOffset, this.filter, rows, upTo);
        if (page.records.length > 0) this.recordBytes = this.writeJson(page.records) / page.records.length;
        this.nextOffset = page.records.length === rows ? page.lastOffset! + 1 : upTo + 1;
        if (performance.now() - started > limits.replaySliceMs) {
          this.context.defer(() => this.pump());
          return;
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}
