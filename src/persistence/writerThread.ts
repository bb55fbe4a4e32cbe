import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { COLUMNS } from './eventRows.js';
import type { Durability } from './logFile.js';
import { TYPE_STATS_UPTO } from './typeStats.js';

/** Values per row in a commit's flat `rows` array: id, event_type, source, session_id, user_id, payload. */
export const ROW_FIELDS = 6;
/** Rows per multi-row INSERT (as the inline row writer). */
const INSERT_ROWS = 50;
/**
 * The writer connection's page cache. Hint: it only appends (rightmost B-tree pages) and updates small tables, so a
 * small cache does; the reader's 64 MiB cache stays on the I/O thread. A second 64 MiB cache filled by appended pages
 * was measured as tens of MB of extra RSS under large payloads.
 */
const WRITER_CACHE_KIB = 4_096;
/** Longest a synchronous wait for the writer blocks before the thread is declared dead. */
const SETTLE_TIMEOUT_MS = 30_000;

/** One group commit as the writer thread receives it: every value in one flat array, no per-event object. */
export interface WriterCommit {
  readonly seq: number;
  /** Offset of the first row; rows are dense from it. */
  readonly first: number;
  /** The commit's one timestamp. */
  readonly ts: number;
  /** ROW_FIELDS values per row, in offset order. */
  readonly rows: readonly (string | null)[];
  /** Indexes of the rows whose id is a producer id (written to producer_ids). */
  readonly producers: readonly number[];
}

interface WriterReply {
  readonly seq: number;
  readonly ok: boolean;
  readonly message?: string;
  readonly code?: string;
}

// Hint: an eval'd CommonJS worker runs the same under vitest (TypeScript sources) and from dist (as the indexer's).
const WORKER_SOURCE = `
const { parentPort, workerData: w } = require('node:worker_threads');
const Database = require(w.driver);
const signal = new Int32Array(w.signal);
const port = w.port;
const db = new Database(w.path, { timeout: 10000 });
db.pragma('synchronous = ' + w.synchronous);
db.pragma('cache_size = -' + w.cacheKiB);
const one = db.prepare(w.insertOne), many = db.prepare(w.insertMany);
const producer = db.prepare('INSERT OR IGNORE INTO producer_ids(k, o) VALUES (?, ?)');
const typeStat = db.prepare(w.typeStat), meta = db.prepare(w.meta);
const params = [];
const write = db.transaction((c) => {
  const rows = c.rows, n = rows.length / ${ROW_FIELDS}, perType = new Map();
  params.length = 0;
  for (let i = 0, r = 0; i < n; i++, r += ${ROW_FIELDS}) {
    params.push(c.first + i, rows[r], rows[r + 1], rows[r + 2], rows[r + 3], rows[r + 4], rows[r + 5], c.ts);
    perType.set(rows[r + 1], (perType.get(rows[r + 1]) || 0) + 1);
    if (params.length === ${INSERT_ROWS * 8}) { many.run(params); params.length = 0; }
  }
  for (let i = 0; i < params.length; i += 8) one.run(params.slice(i, i + 8));
  for (const i of c.producers) producer.run(rows[i * ${ROW_FIELDS}], c.first + i);
  for (const [type, count] of perType) typeStat.run(type, count, c.ts);
  meta.run('next_offset', String(c.first + n));
  meta.run('last_ts', String(c.ts));
  meta.run(w.typeStatsUpTo, String(c.first + n - 1));
});
function reply(m) { port.postMessage(m); Atomics.add(signal, 0, 1); Atomics.notify(signal, 0); }
parentPort.on('message', (c) => {
  if (c === 'close') {
    try { db.close(); } catch {}
    Atomics.store(signal, 1, 1); Atomics.notify(signal, 1);
    parentPort.close(); port.close();
    return;
  }
  if (c === 'crash') process.exit(70);
  try { write.immediate(c); reply({ seq: c.seq, ok: true }); }
  catch (e) { reply({ seq: c.seq, ok: false, message: String((e && e.message) || e), code: e && e.code }); }
});
`;

/** A commit the writer thread failed (nothing of it was committed); `code` is SQLite's. */
export class WriterCommitError extends Error {
  override readonly name = 'WriterCommitError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * The thread that owns the log's write connection. The I/O thread sends one flat array per group commit and gets one
 * small reply per commit; `settle` waits synchronously (Atomics) for the synchronous API paths. If the thread dies,
 * every unanswered commit fails and `dead` says why: nothing was acked for them, and nothing more is written.
 */
export class WriterThread {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  private readonly waiting = new Map<number, (error: Error | null) => void>();
  private seq = 0;
  private closed = false;
  /** Why the thread is gone (null while it runs). */
  dead: string | null = null;

  constructor(path: string, durability: Durability | undefined) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const values = `(${Array<string>(8).fill('?').join(', ')})`;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        signal: this.signal.buffer,
        port: port2,
        path,
        synchronous: durability === 'full' ? 'FULL' : 'NORMAL',
        cacheKiB: WRITER_CACHE_KIB,
        insertOne: `INSERT INTO events(${COLUMNS}) VALUES ${values}`,
        insertMany: `INSERT INTO events(${COLUMNS}) VALUES ${Array<string>(INSERT_ROWS).fill(values).join(', ')}`,
        typeStat:
          'INSERT INTO type_stats(event_type, count, last_seen) VALUES (?, ?, ?) ' +
          'ON CONFLICT(event_type) DO UPDATE SET count = count + excluded.count, last_seen = MAX(last_seen, excluded.last_seen)',
        meta: 'INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
        typeStatsUpTo: TYPE_STATS_UPTO,
      },
      transferList: [port2],
    });
    this.worker.unref();
    this.port.unref();
    this.port.on('message', (reply: WriterReply) => this.answer(reply));
    this.worker.on('error', (error) => this.die(`the log writer thread failed: ${error.message}`));
    this.worker.on('exit', (code) => this.die(`the log writer thread exited (code ${code})`));
  }

  /** Commits sent and not yet answered. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Send one commit; `done` runs once with null (committed) or the error (nothing committed). */
  send(commit: Omit<WriterCommit, 'seq'>, done: (error: Error | null) => void): void {
    if (this.dead !== null || this.closed) {
      done(new Error(this.dead ?? 'the log is closed'));
      return;
    }
    const seq = ++this.seq;
    if (this.waiting.size === 0) this.port.ref();
    this.waiting.set(seq, done);
    this.worker.postMessage({ seq, ...commit });
  }

  /** Block until every sent commit is answered (bounded by SETTLE_TIMEOUT_MS, after which the thread counts as dead). */
  settle(): void {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    while (this.waiting.size > 0 && this.dead === null) {
      const seen = Atomics.load(this.signal, 0);
      const received = receiveMessageOnPort(this.port);
      if (received !== undefined) {
        this.answer(received.message as WriterReply);
        continue;
      }
      if (Date.now() > deadline) this.die('the log writer thread stopped answering');
      else Atomics.wait(this.signal, 0, seen, 100);
    }
  }

  private answer(reply: WriterReply): void {
    const done = this.waiting.get(reply.seq);
    if (done === undefined) return;
    this.waiting.delete(reply.seq);
    if (this.waiting.size === 0) this.port.unref();
    done(reply.ok ? null : new WriterCommitError(reply.message ?? 'commit failed', reply.code));
  }

  private die(reason: string): void {
    if (this.dead !== null || this.closed) return;
    this.dead = reason;
    const failed = [...this.waiting.values()];
    this.waiting.clear();
    this.port.unref();
    for (const done of failed) done(new Error(reason));
  }

  /** Test hook: end the thread abruptly, as a crash would. */
  crash(): void {
    this.worker.postMessage('crash');
  }

  /** Answer what is in flight, close the write connection and wait (bounded) until it is closed. */
  close(): void {
    if (this.closed) return;
    this.settle();
    this.closed = true;
    if (this.dead === null) {
      this.worker.postMessage('close');
      Atomics.wait(this.signal, 1, 0, 10_000);
    }
    this.port.close();
    void this.worker.terminate();
  }
}
