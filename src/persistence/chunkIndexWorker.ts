import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import {
  type BuiltChunk,
  builtChunkSql,
  type CheckpointResult,
  type ChunkBuild,
  type ChunkIndexer,
  chunkBuildSql,
  chunkDropSql,
  INDEX_SCHEMA_SQL,
} from './chunkIndexer.js';
import { WorkerPool } from './workerPool.js';

// Hint: an eval'd CommonJS worker runs the same under vitest (TypeScript sources) and from dist. One worker serves one
// log at a time: \`open\` (with the session's id, reply port and state words), builds, drops, checkpoints, \`close\`;
// messages of any other session (one abandoned before it opened) are ignored.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let s = null;
// State word 1: 0 opening, 1 files open, 2 closed. Claiming 0 -> 1 fails if close() already abandoned the session.
function open(m) {
  const state = new Int32Array(m.state);
  if (Atomics.compareExchange(state, 1, 0, 1) !== 0) return null;
  const db = new Database(m.indexPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.exec(workerData.schema);
  db.prepare('ATTACH DATABASE ? AS log').run(m.logPath);
  const build = workerData.buildSql.map((sql) => db.prepare(sql));
  const drop = workerData.dropSql.map((sql) => db.prepare(sql));
  const built = db.prepare(workerData.builtSql);
  // A retried range that is already built reports the chunk number it was built under.
  const buildChunk = db.transaction((chunk) => {
    const found = built.get(chunk);
    if (found !== undefined) return found;
    for (const statement of build) statement.run(chunk);
    return built.get(chunk);
  });
  const dropChunks = db.transaction((chunks) => { for (const c of chunks) for (const statement of drop) statement.run({ c }); });
  return { id: m.id, db, state, port: m.port, buildChunk, dropChunks };
}
parentPort.on('message', (message) => {
  if (message.type === 'open') { s = open(message); return; }
  if (s === null || message.id !== s.id) return;
  const port = s.port;
  try {
    if (message.type === 'close') {
      s.db.close();
      Atomics.store(s.state, 1, 2);
      Atomics.notify(s.state, 1);
      port.close();
      s = null;
      return;
    }
    if (Atomics.load(s.state, 0) === 1) return;
    if (message.type === 'build') {
      port.postMessage({ type: 'built', built: s.buildChunk(message.chunk) });
    } else if (message.type === 'drop') {
      try { s.dropChunks(message.chunks); } catch {}
    } else if (message.type === 'checkpoint') {
      // The WAL restarts only when a commit begins with every frame copied, so a pass that met new frames is
      // repeated (a few times at most). A failed checkpoint leaves the WAL to the next (or to the fallback).
      let result = null;
      try {
        for (let pass = 0, last = -1; pass < 4; pass++, last = result.log) {
          result = s.db.pragma('log.wal_checkpoint(PASSIVE)')[0];
          if (result.log === last && result.checkpointed === result.log) break;
        }
      } catch { result = null; }
      port.postMessage({ type: 'checkpointed', result });
    }
  } catch (error) {
    port.postMessage({ type: 'error', chunk: message.type === 'build' ? message.chunk : undefined, message: String(error && error.message || error) });
  }
});
`;

/** Idle index workers kept for the next log this process opens (see WorkerPool). */
const IDLE_WORKERS = 2;

const pool = new WorkerPool(
  () =>
    new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        schema: INDEX_SCHEMA_SQL,
        buildSql: chunkBuildSql('main', 'log'),
        builtSql: builtChunkSql('main'),
        dropSql: chunkDropSql('main'),
      },
    }),
  IDLE_WORKERS,
);
/** Tells one log's messages from another's in a reused worker. */
let sessions = 0;

/** What the worker posts back: a built chunk, a checkpoint's result, or an error (of a build, when `chunk`). */
interface WorkerReply {
  readonly type: 'built' | 'checkpointed' | 'error';
  readonly built?: BuiltChunk;
  readonly chunk?: ChunkBuild;
  readonly message?: string;
  readonly result?: CheckpointResult;
}

/** One log's use of a worker: its id there, its reply port and its state words ([0] 1 once closing, [1] phase). */
interface Session {
  readonly worker: Worker;
  readonly id: number;
  readonly state: Int32Array;
  readonly port: MessagePort;
  readonly onError: (error: Error) => void;
}

/**
 * Builds chunks on a worker thread with its own connection, writing a separate index database, so index
 * maintenance uses the second core and never holds the event log's write lock.
 */
export class WorkerChunkIndexer implements ChunkIndexer {
  readonly checkpointsLog = true;
  private session: Session | null = null;
  /** A checkpoint was asked for and not reported yet (asking again meanwhile would only queue a no-op). */
  private checkpointing = false;
  private closed = false;

  constructor(
    private readonly logPath: string,
    private readonly indexPath: string,
    private readonly onBuilt: (chunk: BuiltChunk) => void,
    private readonly onFailed: (chunk: ChunkBuild | null, message: string) => void,
    /** A checkpoint of the log ended: its WAL frames and how many were copied (null when it failed). */
    private readonly onCheckpointed: (result: CheckpointResult | null) => void = () => {},
  ) {}

  /** Hint: started on the first build, so short-lived logs (and most tests) never pay for a thread. */
  private start(): Session {
    if (this.session !== null) return this.session;
    const worker = pool.take();
    const { port1, port2 } = new MessageChannel();
    const shared = new SharedArrayBuffer(8);
    const id = ++sessions;
    worker.postMessage(
      { type: 'open', id, state: shared, port: port2, indexPath: this.indexPath, logPath: this.logPath },
      [port2],
    );
    port1.on('message', (message: WorkerReply) => {
      if (message.type === 'checkpointed') {
        this.checkpointing = false;
        this.onCheckpointed(message.result ?? null);
      } else if (message.type === 'built' && message.built) this.onBuilt(message.built);
      else if (message.type === 'error') this.onFailed(message.chunk ?? null, message.message ?? 'index worker error');
    });
    port1.unref();
    // Hint: a dead worker builds nothing more; the next build takes another, and unbuilt ranges stay in the tail.
    const onError = (error: Error) => {
      if (this.session?.worker !== worker) return;
      this.end(this.session, false);
      this.checkpointing = false;
      this.onFailed(null, String(error));
    };
    worker.on('error', onError);
    this.session = { worker, id, state: new Int32Array(shared), port: port1, onError };
    return this.session;
  }

  /** The worker thread serving this log now (null before the first build or after close), for tests. */
  get threadId(): number | null {
    return this.session?.worker.threadId ?? null;
  }

  build(chunk: ChunkBuild): void {
    if (this.closed) return;
    const { worker, id } = this.start();
    worker.postMessage({ type: 'build', id, chunk });
  }

  drop(chunks: readonly number[]): void {
    if (this.closed) return;
    const { worker, id } = this.start();
    worker.postMessage({ type: 'drop', id, chunks });
  }

  checkpointLog(): void {
    if (this.closed || this.checkpointing) return;
    this.checkpointing = true;
    const { worker, id } = this.start();
    worker.postMessage({ type: 'checkpoint', id });
  }

  /** Skip queued builds, close the worker's connection and wait (bounded) until it has. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const session = this.session;
    if (session === null) return;
    const { worker, id, state } = session;
    Atomics.store(state, 0, 1);
    // Hint: a session the worker has not opened yet never will (its queued builds would be skipped anyway): claim its
    // phase and give the worker back without waiting for it to reach the open (a new thread takes ~0.1 s to boot).
    if (Atomics.compareExchange(state, 1, 0, 2) === 0) {
      this.end(session, true);
      return;
    }
    worker.postMessage({ type: 'close', id });
    // Hint: a build in progress finishes first; waiting keeps a reopen on the same files from racing it.
    this.end(session, Atomics.wait(state, 1, 1, 10_000) !== 'timed-out');
  }

  /** Detach from the session's worker: back to the pool when its connection is closed (or never opened). */
  private end(session: Session, clean: boolean): void {
    this.session = null;
    session.port.close();
    session.worker.off('error', session.onError);
    if (clean) pool.release(session.worker);
    else void session.worker.terminate();
  }
}
