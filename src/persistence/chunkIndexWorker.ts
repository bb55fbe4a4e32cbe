import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
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
import { headMarkSql } from './headMark.js';
import type { LogFileBaseline } from './logFileWatch.js';
import { inodeAt } from './logLock.js';
import { WAL_SIZE_LIMIT_BYTES } from './schema.js';

// Hint: an eval'd CommonJS worker runs the same under vitest (TypeScript sources) and from dist.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const state = new Int32Array(workerData.state);
const fs = require('node:fs');
const file = workerData.logFile;
// Phase word 1: 0 booting, 1 files open, 2 closed. Claiming 0 -> 1 fails if close() already abandoned the boot.
if (Atomics.compareExchange(state, 1, 0, 1) !== 0) parentPort.close();
else if (file !== null && file.inode !== null && inodeAt(workerData.logPath) !== file.inode)
  refuseAll(true, workerData.logPath + ' is not the file the log opened');
else if (workerData.indexInode !== null && inodeAt(workerData.indexPath) !== workerData.indexInode)
  refuseAll(false, workerData.indexPath + ' was removed or replaced while the log runs; a restart rebuilds it');
else run();
function inodeAt(path) { try { return fs.statSync(path).ino; } catch { return null; } }
// Another file is at the log's path (see LogFileWatch): attached, this connection would copy the log's WAL into it
// when it closes. Or the index file the I/O thread attached is gone from its path: opened by path, builds would go
// into a new file no read sees, their ranges counted as indexed (a probe: 5,715 of a session's events hidden from
// keyed reads and replay). So nothing is opened: builds fail (their ranges stay in memory), checkpoints say why
// (the I/O thread's own automatic checkpoint is the fallback).
function refuseAll(fileChanged, why) {
  parentPort.postMessage({ type: 'checkpointed', result: null, fileChanged });
  parentPort.on('message', (message) => {
    if (message.type === 'close') { Atomics.store(state, 1, 2); Atomics.notify(state, 1); parentPort.close(); }
    else if (message.type === 'checkpoint') parentPort.postMessage({ type: 'checkpointed', result: null, fileChanged });
    else if (message.type === 'build') parentPort.postMessage({ type: 'error', chunk: message.chunk, message: why });
  });
}
function run() {
const db = new Database(workerData.indexPath);
db.pragma('journal_mode = WAL');
db.pragma('journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 10000');
db.exec(workerData.schema);
db.prepare('ATTACH DATABASE ? AS log').run(workerData.logPath);
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
// The log's database file must still be the one the log opened before a checkpoint copies pages into it: LogFileWatch's
// rules (same inode, no smaller than it held, header in WAL mode and no larger than the log). Once not, never again.
let held = file === null ? 0 : file.held;
let fileChanged = false;
function logFileChanged() {
  if (file === null || file.inode === null || fileChanged) return fileChanged;
  let stats;
  try { stats = fs.statSync(workerData.logPath); } catch { return (fileChanged = true); }
  if (stats.ino !== file.inode) return (fileChanged = true);
  const header = Buffer.alloc(100);
  let read = 0;
  // Hint: through the log's own descriptor (same inode, checked above): a close of any descriptor of the file would
  // drop this process's SQLite locks on it (see LogFileBaseline.fd).
  try { read = file.fd === null ? 0 : fs.readSync(file.fd, header, 0, 100, 0); } catch { return (fileChanged = true); }
  const wal = header.toString('latin1', 0, 15) === 'SQLite format 3' && header[18] === 2 && header[19] === 2;
  const bytes = (header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16)) * header.readUInt32BE(28);
  const log = db.pragma('log.page_count', { simple: true }) * db.pragma('log.page_size', { simple: true });
  fileChanged = stats.size < held || (read === 100 && ((file.wal && !wal) || bytes > log));
  if (read === 100 && !fileChanged) held = Math.max(held, Math.min(stats.size, bytes));
  return fileChanged;
}
parentPort.on('message', (message) => {
  try {
    if (message.type === 'close') {
      db.close();
      Atomics.store(state, 1, 2);
      Atomics.notify(state, 1);
      parentPort.close();
      return;
    }
    if (Atomics.load(state, 0) === 1) return;
    if (message.type === 'build') {
      parentPort.postMessage({ type: 'built', built: buildChunk(message.chunk) });
    } else if (message.type === 'drop') {
      try { dropChunks(message.chunks); } catch {}
    } else if (message.type === 'checkpoint') {
      if (logFileChanged()) return parentPort.postMessage({ type: 'checkpointed', result: null, fileChanged: true });
      // The WAL restarts only when a commit begins with every frame copied, so a pass that met new frames is
      // repeated (a few times at most). A failed checkpoint leaves the WAL to the next (or to the fallback).
      let result = null;
      try {
        for (let pass = 0, last = -1; pass < 4; pass++, last = result.log) {
          result = db.pragma('log.wal_checkpoint(PASSIVE)')[0];
          if (result.log === last && result.checkpointed === result.log) break;
        }
      } catch { result = null; }
      try { db.exec(workerData.headMarkSql); } catch {}
      parentPort.postMessage({ type: 'checkpointed', result });
    }
  } catch (error) {
    parentPort.postMessage({ type: 'error', chunk: message.type === 'build' ? message.chunk : undefined, message: String(error && error.message || error) });
  }
});
}
`;

/**
 * What the worker posts back: a built chunk, a checkpoint's result (none, `fileChanged`, when the log's database file
 * was not the log's any more), or an error (of a build, when `chunk`).
 */
interface WorkerReply {
  readonly type: 'built' | 'checkpointed' | 'error';
  readonly built?: BuiltChunk;
  readonly chunk?: ChunkBuild;
  readonly message?: string;
  readonly result?: CheckpointResult;
  readonly fileChanged?: boolean;
}

/** The log's database file as opened, and who to tell when a checkpoint found it replaced or rewritten. */
export interface WatchedLogFile {
  readonly baseline: LogFileBaseline;
  readonly changed: () => void;
}

/**
 * Builds chunks on a worker thread with its own connection, writing a separate index database, so index
 * maintenance uses the second core and never holds the event log's write lock.
 */
export class WorkerChunkIndexer implements ChunkIndexer {
  readonly checkpointsLog = true;
  private worker: Worker | null = null;
  /** A checkpoint was asked for and not reported yet (asking again meanwhile would only queue a no-op). */
  private checkpointing = false;
  private readonly state = new SharedArrayBuffer(8);
  private closed = false;
  /** The index file as the log attached it (this is made right after): the worker must open that one. */
  private readonly indexInode: number | null;

  constructor(
    private readonly logPath: string,
    private readonly indexPath: string,
    private readonly onBuilt: (chunk: BuiltChunk) => void,
    private readonly onFailed: (chunk: ChunkBuild | null, message: string) => void,
    /** A checkpoint of the log ended: its WAL frames and how many were copied (null when it failed). */
    private readonly onCheckpointed: (result: CheckpointResult | null) => void = () => {},
    /** Checked before every checkpoint (see LogFileWatch); none: not checked. */
    private readonly logFile: WatchedLogFile | null = null,
  ) {
    this.indexInode = inodeAt(indexPath);
  }

  /** Hint: started on the first build, so short-lived logs (and most tests) never pay for a thread. */
  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        state: this.state,
        indexPath: this.indexPath,
        logPath: this.logPath,
        schema: INDEX_SCHEMA_SQL,
        buildSql: chunkBuildSql('main', 'log'),
        builtSql: builtChunkSql('main'),
        dropSql: chunkDropSql('main'),
        headMarkSql: headMarkSql('main', 'log'),
        logFile: this.logFile?.baseline ?? null,
        indexInode: this.indexInode,
      },
    });
    worker.unref();
    worker.on('message', (message: WorkerReply) => {
      if (message.type === 'checkpointed') {
        this.checkpointing = false;
        if (message.fileChanged === true) this.logFile?.changed();
        this.onCheckpointed(message.result ?? null);
      } else if (message.type === 'built' && message.built) this.onBuilt(message.built);
      else if (message.type === 'error') this.onFailed(message.chunk ?? null, message.message ?? 'index worker error');
    });
    // Hint: a dead worker builds nothing more; the next build starts a new one, and unbuilt ranges stay in the tail.
    worker.on('error', (error) => {
      if (this.worker === worker) this.worker = null;
      this.checkpointing = false;
      this.onFailed(null, String(error));
    });
    this.worker = worker;
    return worker;
  }

  build(chunk: ChunkBuild): void {
    if (!this.closed) this.start().postMessage({ type: 'build', chunk });
  }

  drop(chunks: readonly number[]): void {
    if (!this.closed) this.start().postMessage({ type: 'drop', chunks });
  }

  checkpointLog(): void {
    if (this.closed || this.checkpointing) return;
    this.checkpointing = true;
    this.start().postMessage({ type: 'checkpoint' });
  }

  /** Skip queued builds, close the worker's connection and wait (bounded) until it has. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.worker === null) return;
    const state = new Int32Array(this.state);
    Atomics.store(state, 0, 1);
    // Hint: a worker still booting has opened no file, and every build it has queued would be skipped: claim its
    // phase so it never opens one, and stop it without waiting for the thread to start (about 0.1 s per close).
    if (Atomics.compareExchange(state, 1, 0, 2) === 0) {
      void this.worker.terminate();
      return;
    }
    this.worker.postMessage({ type: 'close' });
    // Hint: a build in progress finishes first; waiting keeps a reopen on the same files from racing it.
    Atomics.wait(state, 1, 1, 10_000);
    void this.worker.terminate();
  }
}
