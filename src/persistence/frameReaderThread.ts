import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ROW_JSON_DAY_SQL } from './eventRows.js';
import type { FrameRow } from './frameReads.js';

/**
 * Page cache of the reader thread's connection (KiB): replays read the log front to back, so little but the B-tree's
 * upper pages is reused.
 */
const READER_CACHE_KIB = 2 * 1024;
/**
 * The reader isolate's young generation (MiB), as the writer's (WRITER_YOUNG_GENERATION_MB): its garbage is per page.
 * Server RSS peaks in a 50-replay storm of 200,000 events each: 280-286 MiB with V8's default and an 8 MiB cache,
 * 275-276 with this, 269-271 with this and the cache above (224-228 with every page read inline).
 */
const READER_YOUNG_GENERATION_MB = 16;
/** Prepared statements the thread keeps (one per distinct filter shape). */
const READER_STATEMENTS = 64;

// Hint: an eval'd CommonJS worker runs the same under vitest (TypeScript sources) and from dist (as the writer's).
// Streams take turns a page at a time (so 50 replays share the thread fairly), each while it has credit; a page's
// bytes cross by transfer, not by copy, when better-sqlite3 gave them an ArrayBuffer of their own.
const WORKER_SOURCE = `
const { parentPort, workerData: w } = require('node:worker_threads');
const Database = require(w.driver);
const db = new Database(w.path, { readonly: true, fileMustExist: true });
db.pragma('cache_size = -' + w.cacheKiB);
const dayOf = db.prepare(w.daySql).raw(true);
const statements = new Map(), streams = new Map(), turns = [];
let scheduled = false;
function statement(sql) {
  let s = statements.get(sql);
  if (s === undefined) {
    if (statements.size >= w.statements) statements.clear();
    s = db.prepare(sql).raw(true);
    statements.set(sql, s);
  }
  return s;
}
function schedule() {
  if (!scheduled && turns.length > 0) { scheduled = true; setImmediate(step); }
}
function step() {
  scheduled = false;
  const s = streams.get(turns.shift());
  if (s !== undefined) page(s);
  schedule();
}
function end(s) {
  streams.delete(s.id);
  parentPort.postMessage({ id: s.id, end: true });
}
function page(s) {
  if (s.from > s.head) return end(s);
  const from = s.from, upTo = Math.min(s.head, from + s.window - 1);
  let row;
  try {
    const day = dayOf.get(from) || [-1, ''];
    row = statement(s.sql).get(day[0], day[1], from, upTo, ...s.filterParams, s.asked);
  } catch (e) {
    row = undefined;
  }
  const frame = row === undefined ? null : row[3];
  const own = frame !== null && frame.byteOffset === 0 && frame.buffer.byteLength === frame.length;
  parentPort.postMessage({ id: s.id, from, asked: s.asked, upTo, row }, own ? [frame.buffer] : []);
  if (row === undefined || row[0] !== row[1]) return end(s);
  s.from = row[0] === s.asked ? row[2] + 1 : upTo + 1;
  if (--s.credits > 0) turns.push(s.id);
}
parentPort.on('message', (m) => {
  if (m === null) { db.close(); parentPort.close(); return; }
  const s = streams.get(m.id);
  if (m.type === 'open') { streams.set(m.id, m); turns.push(m.id); }
  else if (m.type === 'cancel') streams.delete(m.id);
  else if (s !== undefined) { s.head = Math.max(s.head, m.head); if (s.credits++ === 0) turns.push(m.id); }
  schedule();
});
`;

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

/** The clock and deferral the delivery of pages uses. */
export interface Pace {
  now(): number;
  immediate(fn: () => void): void;
}

/** Longest run of page deliveries (their checks, events and socket writes) in one event-loop turn, in ms. */
const DELIVERY_SLICE_MS = 2;

/**
 * A thread with its own read-only connection to the log that reads replay pages ahead, so a replay's SQLite work
 * (about three quarters of its I/O-thread time) runs beside the I/O thread instead of on it. Each stream's pages
 * come in order, each starting where the one before ended; null after the last (it reached the head it knew, a page
 * failed, or the thread ended). Hint: the thread starts with the first stream, so a log that never replays a batch
 * never pays for one (about 45 ms of CPU).
 */
export class FrameReaderThread {
  private worker: Worker | null = null;
  private readonly listeners = new Map<number, PageListener>();
  /** Pages and ends come in, not yet handed to their listeners (see deliver). */
  private readonly replies: Reply[] = [];
  private seq = 0;
  private closed = false;
  private failed = false;

  constructor(
    private readonly path: string,
    private readonly pace: Pace = { now: () => performance.now(), immediate: (fn) => setImmediate(fn) },
  ) {}

  /** Replies (pages and ends) received and not yet handed to their listeners. */
  get queued(): number {
    return this.replies.length;
  }

  /** Start a stream; null when the thread cannot take one (read inline instead). */
  stream(spec: StreamSpec, onPage: PageListener): StreamHandle | null {
    if (this.closed || this.failed) return null;
    const worker = this.start();
    const id = ++this.seq;
    this.listeners.set(id, onPage);
    worker.postMessage({ type: 'open', id, ...spec });
    return {
      more: (head) => {
        if (this.listeners.has(id)) worker.postMessage({ type: 'more', id, head });
      },
      cancel: () => {
        if (this.listeners.delete(id)) worker.postMessage({ type: 'cancel', id });
      },
    };
  }

  /** End the thread; open streams are dropped (their subscribers are closing with the log). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.replies.length = 0;
    this.worker?.postMessage(null);
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
    }
    this.replies.splice(0, at);
    if (this.replies.length > 0) this.pace.immediate(() => this.deliver());
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_GENERATION_MB },
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        path: this.path,
        cacheKiB: READER_CACHE_KIB,
        statements: READER_STATEMENTS,
        daySql: ROW_JSON_DAY_SQL,
      },
    });
    worker.unref();
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
