import type { Worker } from 'node:worker_threads';
import { spawnReaderWorker } from './frameReaderWorker.js';
import type { FrameRow } from './frameReads.js';

/** What a stream reads: the frame SQL and its filter's parameters (see frameSql), from where, how much per page. */
export interface StreamSpec {
  readonly sql: string;
  readonly filterParams: readonly unknown[];
  readonly from: number;
  readonly asked: number;
  /** A page reads at most this many offsets (so a sparse filter never holds the thread for long). */
  readonly window: number;
  /** The log's head: the stream ends past it, unless `more` raises it. */
  readonly head: number;
  /** Pages it may read before the reader asks for more. */
  readonly credits: number;
}

/** One page of a stream: the frame query's row for [from, upTo] (undefined: it failed; the stream ends after it). */
export interface StreamPage {
  readonly from: number;
  readonly asked: number;
  readonly upTo: number;
  readonly row: FrameRow | undefined;
}

/** A stream of pages on the reader thread. */
export interface StreamHandle {
  /** One page written: the thread may read one more, up to `head`. */
  more(head: number): void;
  cancel(): void;
}

type PageListener = (page: StreamPage | null) => void;

/** What the thread answers: a stream's page, or its end. */
type Reply = (StreamPage & { readonly id: number }) | { readonly id: number; readonly end: true };

/** The clock, deferral and timer the thread uses. */
export interface Pace {
  now(): number;
  immediate(fn: () => void): void;
  /** Run `fn` in `ms` (never keeping the process alive for it); the function returned cancels it. */
  later(ms: number, fn: () => void): () => void;
}

const REAL_PACE: Pace = {
  now: () => performance.now(),
  immediate: (fn) => setImmediate(fn),
  later: (ms, fn) => {
    const timer = setTimeout(fn, ms).unref();
    return () => clearTimeout(timer);
  },
};

/**
 * How long the thread stays up with no stream open (ms). Why: an idle reader thread kept its isolate and page buffers;
 * 20 s after one replay of 1,000,000 events the server's RSS was 208-235 MiB with it kept, 166-192 with it ended after
 * this (187-189 for 294b374, which had no thread). Starting one again costs about 45 ms of CPU (the writer's).
 */
const READER_IDLE_MS = 10_000;

/** Longest run of page deliveries (their checks, events and socket writes) in one event-loop turn, in ms. */
const DELIVERY_SLICE_MS = 2;

/**
 * A thread with its own read-only connection to the log that reads replay pages ahead, so a replay's SQLite work
 * (about 70% of its I/O-thread time, profiled) runs beside the I/O thread instead of on it. Each stream's pages
 * come in order, each starting where the one before ended; null after the last (it reached the head it knew, a page
 * failed, or the thread ended). Hint: the thread starts with the first stream, so a log that never replays a batch
 * never pays for one (about 45 ms of CPU, as measured for the writer's).
 */
export class FrameReaderThread {
  private worker: Worker | null = null;
  /** Set to 1 by the worker once its connection is closed. */
  private connectionClosed: Int32Array | null = null;
  private readonly listeners = new Map<number, PageListener>();
  /** Pages and ends come in, not yet handed to their listeners (see deliver). */
  private readonly replies: Reply[] = [];
  private seq = 0;
  private closed = false;
  private failed = false;
  /** Cancels the end of an idle thread (set while no stream is open). */
  private idle: (() => void) | null = null;

  constructor(
    private readonly path: string,
    private readonly pace: Pace = REAL_PACE,
  ) {}

  /** Replies (pages and ends) received and not yet handed to their listeners. */
  get queued(): number {
    return this.replies.length;
  }

  /** Whether the thread is up (it starts with a stream and ends once idle for READER_IDLE_MS). */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Start a stream; null when the thread cannot take one (read inline instead). */
  stream(spec: StreamSpec, onPage: PageListener): StreamHandle | null {
    if (this.closed || this.failed) return null;
    this.idle?.();
    this.idle = null;
    const worker = this.start();
    const id = ++this.seq;
    this.listeners.set(id, onPage);
    worker.postMessage({ type: 'open', id, ...spec });
    return {
      more: (head) => {
        if (this.listeners.has(id)) worker.postMessage({ type: 'more', id, head });
      },
      cancel: () => {
        if (!this.listeners.delete(id)) return;
        worker.postMessage({ type: 'cancel', id });
        this.whenIdle();
      },
    };
  }

  /**
   * End the thread and wait (bounded) until its connection is closed; open streams are dropped (their subscribers are
   * closing with the log).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.idle?.();
    this.listeners.clear();
    this.replies.length = 0;
    if (this.worker === null || this.connectionClosed === null) return;
    this.worker.postMessage(null);
    if (!this.failed) Atomics.wait(this.connectionClosed, 0, 0, 10_000);
  }

  /**
   * Hand queued pages to their listeners for at most DELIVERY_SLICE_MS, then yield to the event loop. Why: the port
   * delivers every queued message in one callback, and 50 replays can have 100 pages queued; handed on at once, their
   * checks and writes held REST requests for 65-73 ms (p99 in the replay storm).
   */
  private deliver(): void {
    const started = this.pace.now();
    let at = 0;
    while (at < this.replies.length && (at === 0 || this.pace.now() - started < DELIVERY_SLICE_MS)) {
      const reply = this.replies[at++]!;
      const listener = this.listeners.get(reply.id);
      if (listener === undefined) continue;
      if ('end' in reply) this.listeners.delete(reply.id);
      listener('end' in reply ? null : reply);
      if ('end' in reply) this.whenIdle();
    }
    this.replies.splice(0, at);
    if (this.replies.length > 0) this.pace.immediate(() => this.deliver());
  }

  /** With no stream open, end the thread after READER_IDLE_MS unless a stream starts first. */
  private whenIdle(): void {
    if (this.listeners.size > 0 || this.worker === null || this.idle !== null || this.closed) return;
    this.idle = this.pace.later(READER_IDLE_MS, () => {
      this.idle = null;
      const worker = this.worker;
      if (worker === null || this.listeners.size > 0) return;
      // Hint: a planned end, not a failure: the next stream starts a new thread.
      this.worker = null;
      worker.removeAllListeners('exit');
      worker.removeAllListeners('error');
      worker.on('error', () => {});
      worker.postMessage(null);
    });
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const { worker, closed } = spawnReaderWorker(this.path);
    this.connectionClosed = closed;
    worker.on('message', (reply: Reply) => {
      this.replies.push(reply);
      if (this.replies.length === 1) this.pace.immediate(() => this.deliver());
    });
    const fail = () => {
      this.failed = true;
      const listeners = [...this.listeners.values()];
      this.listeners.clear();
      for (const listener of listeners) listener(null);
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.worker = worker;
    return worker;
  }
}
