import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { Durability } from './logFile.js';
import { packRows } from './packedRows.js';
import { releaseWriterWorker, rowValues, takeWriterWorker, WRITER_NOT_OPEN } from './writerWorker.js';

/**
 * The writer connection's page cache. Hint: it only appends (rightmost B-tree pages) and updates small tables, so a
 * small cache does; the reader's 64 MiB cache stays on the I/O thread (a second one, filled by appended pages, was
 * measured as tens of MB of extra RSS under large payloads).
 */
const WRITER_CACHE_KIB = 4_096;
/** Longest a synchronous wait for the writer blocks before the thread is declared dead (monotonic ms). */
const SETTLE_TIMEOUT_MS = 30_000;
/**
 * After the thread could not start or open the log, commits are refused this long before another is started. Hint:
 * a start costs ~45 ms of CPU; one per group commit while file descriptors run out would take the I/O thread's core.
 */
const RESTART_AFTER_MS = 1_000;

/** One group commit for the writer thread: its records cross as one packed string of values, no per-event object. */
export interface WriterCommit {
  /** Offset of the first record; offsets are dense from it. */
  readonly first: number;
  /** The commit's one timestamp. */
  readonly ts: number;
  /** The records, in offset order. */
  readonly events: readonly StoredEvent[];
  /** Indexes of the records whose id is a producer id (written to producer_ids). */
  readonly producers: readonly number[];
}

/**
 * A session projection save: flat (session id, status, offset) triples, the projection's high-water if it moved, and
 * flat (session id, snapshot) pairs.
 */
export interface WriterStatuses {
  readonly statuses: readonly (string | number)[];
  readonly upTo: number | null;
  readonly snapshots: readonly string[];
}

/** The writer's answer to one commit or status save (`code`: SQLite's, or WRITER_NOT_OPEN). */
type WriterReply = { readonly seq: number; readonly ok: boolean; readonly message?: string; readonly code?: string };

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

/** The writer ended, or stopped answering, with this commit unanswered: it may have landed before that. */
export class WriterLostError extends Error {
  override readonly name = 'WriterLostError';
}

/** A started writer: its worker, the session's reply channel and signal, and the listeners to drop on release. */
interface Started {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly signal: Int32Array;
  readonly onError: (error: Error) => void;
  readonly onExit: (code: number) => void;
}

/**
 * The thread that owns the log's write connection. The I/O thread sends one packed string per group commit and gets
 * one small reply per commit (session status saves made while it is busy queue the same way); `settle` waits
 * synchronously (Atomics) for the synchronous API paths. If the thread dies, every unanswered commit fails and `dead`
 * says why: nothing was acked for them, and nothing more is written. A thread that could not start, or could not open
 * the log (no file descriptor left, say), wrote nothing: its commits fail as not committed and a later one starts
 * another (a probe's EMFILE had left the log unwritable until a restart).
 *
 * Hint: the thread starts on the first commit sent, not at open: a log that never commits through it (the hybrid's
 * small commits, read-only opens, restarts) never pays for one. Its worker comes from writerWorker's idle pool when
 * this process had one, and goes back there once its connection is closed cleanly.
 */
export class WriterThread {
  private started: Started | null = null;
  private readonly waiting = new Map<number, (error: Error | null) => void>();
  private seq = 0;
  private closed = false;
  /** Why the thread is gone (null while it runs or before it started). */
  dead: string | null = null;
  /** Why the last thread could not start, and until when (the monotonic clock) commits are refused for it. */
  private unstarted: { readonly reason: string; readonly until: number } | null = null;

  constructor(
    /** The log's path, and the inode of the file the log opened: the thread opens only that one (null: unchecked). */
    private readonly file: { readonly path: string; readonly inode: number | null },
    private readonly durability: Durability | undefined,
    /** wal_autocheckpoint for the writer's connection; null keeps SQLite's default (nobody else checkpoints). */
    private readonly autocheckpointPages: number | null = null,
    /** Monotonic ms (settle's bound, restart pause): a wall-clock step forward had declared the thread dead. */
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** Commits sent and not yet answered. */
  get inFlight(): number {
    return this.waiting.size;
  }

  private start(): Started {
    if (this.started !== null) return this.started;
    const { port1, port2 } = new MessageChannel();
    const shared = new SharedArrayBuffer(8);
    const signal = new Int32Array(shared);
    const worker = takeWriterWorker({
      ...this.file,
      synchronous: this.durability === 'full' ? 'FULL' : 'NORMAL',
      cacheKiB: WRITER_CACHE_KIB,
      autocheckpointPages: this.autocheckpointPages,
      signal: shared,
      port: port2,
    });
    const started: Started = {
      worker,
      port: port1,
      signal,
      onError: (error) =>
        (error as NodeJS.ErrnoException).code === 'ERR_WORKER_INIT_FAILED'
          ? this.startFailed(error.message)
          : this.die(`the log writer thread failed: ${error.message}`),
      onExit: (code) => this.die(`the log writer thread exited (code ${code})`),
    };
    port1.unref();
    port1.on('message', (reply: WriterReply) => this.answer(reply));
    worker.on('error', started.onError);
    worker.on('exit', started.onExit);
    this.started = started;
    return started;
  }

  /** Send one commit or status save; `done` runs once with null (committed) or the error (nothing committed). */
  send(commit: WriterCommit | WriterStatuses, done: (error: Error | null) => void): void {
    if (this.dead !== null || this.closed) {
      done(new Error(this.dead ?? 'the log is closed'));
      return;
    }
    if (this.unstarted !== null && this.monotonic() < this.unstarted.until) {
      done(new WriterCommitError(this.unstarted.reason, undefined));
      return;
    }
    const { worker, port } = this.start();
    const seq = ++this.seq;
    if (this.waiting.size === 0) port.ref();
    this.waiting.set(seq, done);
    if ('statuses' in commit) {
      worker.postMessage({ seq, ...commit });
      return;
    }
    const { pieces, lengths } = packRows(rowValues(commit.events));
    worker.postMessage({ seq, first: commit.first, ts: commit.ts, producers: commit.producers, pieces, lengths }, [
      lengths.buffer,
    ]);
  }

  /** Block until every sent commit is answered (bounded by SETTLE_TIMEOUT_MS, after which the thread counts as dead). */
  settle(): void {
    const started = this.started;
    if (started === null) return;
    const deadline = this.monotonic() + SETTLE_TIMEOUT_MS;
    while (this.waiting.size > 0 && this.dead === null) {
      const seen = Atomics.load(started.signal, 0);
      const received = receiveMessageOnPort(started.port);
      if (received !== undefined) {
        this.answer(received.message as WriterReply);
        continue;
      }
      if (this.monotonic() > deadline) this.die('the log writer thread stopped answering');
      else Atomics.wait(started.signal, 0, seen, 100);
    }
  }

  private answer(reply: WriterReply): void {
    const done = this.waiting.get(reply.seq);
    if (done === undefined) return;
    if (reply.code === WRITER_NOT_OPEN) {
      this.startFailed(reply.message ?? 'the log could not be opened');
      return;
    }
    this.waiting.delete(reply.seq);
    if (this.waiting.size === 0) this.started?.port.unref();
    done(reply.ok ? null : new WriterCommitError(reply.message ?? 'commit failed', reply.code));
  }

  /** The thread could not start or open the log: it wrote nothing; fail what it was sent, and start anew later. */
  private startFailed(message: string): void {
    const started = this.started;
    if (started === null) return;
    this.started = null;
    started.worker.off('error', started.onError);
    started.worker.off('exit', started.onExit);
    started.port.close();
    void started.worker.terminate();
    const reason = `the log writer thread could not start: ${message}`;
    this.unstarted = { reason, until: this.monotonic() + RESTART_AFTER_MS };
    const failed = [...this.waiting.values()];
    this.waiting.clear();
    for (const done of failed) done(new WriterCommitError(reason, undefined));
  }

  private die(reason: string): void {
    if (this.dead !== null || this.closed) return;
    // Hint: replies the thread sent before it ended may still wait on the port (its exit can be seen first); a
    // commit it answered did land, and must not be reported as failed.
    const port = this.started?.port;
    let received = port === undefined ? undefined : receiveMessageOnPort(port);
    while (port !== undefined && received !== undefined) {
      this.answer(received.message as WriterReply);
      received = receiveMessageOnPort(port);
    }
    this.dead = reason;
    const failed = [...this.waiting.values()];
    this.waiting.clear();
    this.started?.port.unref();
    for (const done of failed) done(new WriterLostError(`${reason} before answering; the commit may have landed`));
  }

  /** Test hook: end the thread abruptly, as a crash would (starting it first if it has not started). */
  crash(): void {
    if (this.dead === null && !this.closed) this.start().worker.postMessage('crash');
  }

  /** Answer what is in flight, close the write connection and wait (bounded) until it is closed. */
  close(): void {
    if (this.closed) return;
    this.settle();
    this.closed = true;
    const started = this.started;
    if (started === null) return;
    let clean = false;
    if (this.dead === null) {
      started.worker.postMessage('close');
      clean = Atomics.wait(started.signal, 1, 0, 10_000) !== 'timed-out';
    }
    started.port.close();
    started.worker.off('error', started.onError);
    started.worker.off('exit', started.onExit);
    if (clean) releaseWriterWorker(started.worker);
    else void started.worker.terminate();
  }
}
