import { createActor, type Actor } from 'xstate';
import type { EventLog } from '../persistence/eventLog.js';
import type { EventFilter } from '../protocol/eventFilter.js';
import { recordJson, recordsJson, type StoredEvent } from '../protocol/eventRecord.js';
import { subscriberMachine, type SubscriberMode } from './subscriberMachine.js';

/** The socket operations a subscriber needs; src/http adapts a uWS WebSocket to it. */
export interface SubscriberSocket {
  send(text: string): void;
  bufferedAmount(): number;
  cork(fn: () => void): void;
  end(code: number, reason: string): void;
}

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

  private write(records: readonly StoredEvent[], json: (record: StoredEvent) => string = recordJson): void {
    this.socket.cork(() => {
      if (this.batch) this.socket.send(json === recordJson ? recordsJson(records) : `[${records.map(json).join(',')}]`);
      else for (const record of records) this.socket.send(json(record));
    });
    this.lastActivity = this.context.now();
    this.context.delivered(records.length);
  }

  private writeJson(records: readonly string[]): void {
    this.socket.cork(() => {
      if (this.batch) this.socket.send(`[${records.join(',')}]`);
      else for (const record of records) this.socket.send(record);
    });
    this.lastActivity = this.context.now();
    this.context.delivered(records.length);
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
        const page = log.readJsonFrom(this.nextOffset, this.filter, limits.replayPage, upTo);
        if (page.records.length > 0) this.writeJson(page.records);
        this.nextOffset = page.records.length === limits.replayPage ? page.lastOffset! + 1 : upTo + 1;
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
