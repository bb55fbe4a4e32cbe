import { createRequire } from 'node:module';
import { type MessagePort, Worker } from 'node:worker_threads';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { COLUMNS, ROW_PARAMS } from './eventRows.js';
import { UNPACK_ROWS_SOURCE } from './packedRows.js';
import { ROW_CHECKSUM_SOURCE } from './recordChecksum.js';
import { WAL_SIZE_LIMIT_BYTES } from './schema.js';
import { SESSION_SNAPSHOT_UPSERT, SESSION_STATUS_UPSERT, SESSIONS_UPTO } from './sessionStatusStore.js';
import { TYPE_STATS_UPTO } from './typeStats.js';

/** Values per row in a commit's flat `rows` array: id, event_type, source, session_id, user_id, payload. */
export const ROW_FIELDS = 6;
/** Rows per multi-row INSERT (as the inline row writer). */
const INSERT_ROWS = 50;
/**
 * Idle writer workers kept for the next log this process opens. Hint: starting a worker (a fresh V8 isolate and the
 * SQLite addon) costs ~45 ms of CPU, measured on this machine; a process that reopens logs (restarts in tests, tools)
 * reuses one instead. One per log open at a time is enough; an idle worker is unref'd and holds no connection.
 */
const IDLE_WORKERS = 2;
/**
 * The writer isolate's young generation, in MiB (V8's default for a worker is 48, a new space of up to 32). Hint: the
 * writer allocates only per-commit temporaries, yet its new space may grow to 32 MiB, and nothing collects it while
 * the writer is idle (a probe's RSS 30 s after a burst: 142 with 16 against 174-178 MiB). With 16: bench memory's RSS
 * after 100,000 new sessions 274.6 / 272.3 against 279.9 / 282.1 MiB (two interleaved pairs); 400 commits of 1,600
 * events cost the writer the same CPU (2.9-3.8 µs per event either way, interleaved). 4 did cost: 4.0 against 3.1-3.5
 * µs per event in ingest-ws-batch.
 */
export const WRITER_YOUNG_GENERATION_MB = 16;

/** What one writer session (one log's write connection) needs; sent with its `open` message. */
export interface WriterSession {
  readonly path: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  readonly cacheKiB: number;
  /** wal_autocheckpoint for this connection (null: SQLite's default). */
  readonly autocheckpointPages: number | null;
  /** The inode of the file the log opened (none: not checked; see open in the worker). */
  readonly inode?: number | null;
  /** [0] counts replies (Atomics-waited by `settle`), [1] turns 1 once the connection is closed. */
  readonly signal: SharedArrayBuffer;
  /** Replies go here, so each session has its own channel. */
  readonly port: MessagePort;
}

// Hint: an eval'd CommonJS worker runs the same under vitest (TypeScript sources) and from dist (as the indexer's).
// One worker serves one session at a time: `open`, commits and status saves, `close` (then it waits for the next
// `open`).
/** A commit's records as ROW_FIELDS values each, in the order the writer worker binds them. */
export function rowValues(events: readonly StoredEvent[]): (string | null)[] {
  const values = new Array<string | null>(events.length * ROW_FIELDS);
  let at = 0;
  for (const event of events) {
    values[at++] = event.id;
    values[at++] = event.event_type;
    values[at++] = event.source;
    values[at++] = event.session_id;
    values[at++] = event.user_id;
    values[at++] = event.payloadJson;
  }
  return values;
}

/** The code of a reply from a worker that could not open the log: it wrote nothing (see WriterThread). */
export const WRITER_NOT_OPEN = 'WRITER_NOT_OPEN';

const WORKER_SOURCE = `
const { parentPort, workerData: w } = require('node:worker_threads');
const { crc32 } = require('node:zlib');
let Database = null;
let s = null;
function open(m) {
  // Required here, so a failure (the addon's dlopen can meet EMFILE too) is the open's, answered like it.
  Database = Database || require(w.driver);
  const db = new Database(m.path, { timeout: 10000 });
  // Another file at the path (a backup put in place while the server runs): closed before it reads anything, as
  // a connection that read it would copy the log's WAL into it when it closes (see LogFileWatch).
  let inode = null;
  try { inode = require('node:fs').statSync(m.path).ino; } catch {}
  if (m.inode != null && inode !== m.inode) { db.close(); throw new Error(m.path + ' is not the file the log opened'); }
  try { return prepare(db, m); } catch (e) { try { db.close(); } catch {} throw e; }
}
function prepare(db, m) {
  db.pragma('synchronous = ' + m.synchronous);
  db.pragma('journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}');
  db.pragma('cache_size = -' + m.cacheKiB);
  if (m.autocheckpointPages !== null) db.pragma('wal_autocheckpoint = ' + m.autocheckpointPages);
  const one = db.prepare(w.insertOne), many = db.prepare(w.insertMany);
  const producer = db.prepare('INSERT OR IGNORE INTO producer_ids(k, o) VALUES (?, ?)');
  const typeStat = db.prepare(w.typeStat), meta = db.prepare(w.meta);
  const params = [];
  const write = db.transaction((c) => {
    const rows = unpackRows(c.pieces, c.lengths), n = rows.length / ${ROW_FIELDS}, perType = new Map();
    const iso = new Date(c.ts).toISOString();
    params.length = 0;
    for (let i = 0, r = 0; i < n; i++, r += ${ROW_FIELDS}) {
      const o = c.first + i;
      const crc = rowChecksum(o, iso, rows[r], rows[r + 1], rows[r + 2], rows[r + 3], rows[r + 4], rows[r + 5]);
      params.push(o, rows[r], rows[r + 1], rows[r + 2], rows[r + 3], rows[r + 4], rows[r + 5], c.ts, crc);
      perType.set(rows[r + 1], (perType.get(rows[r + 1]) || 0) + 1);
      if (params.length === ${INSERT_ROWS * ROW_PARAMS}) { many.run(params); params.length = 0; }
    }
    for (let i = 0; i < params.length; i += ${ROW_PARAMS}) one.run(params.slice(i, i + ${ROW_PARAMS}));
    for (const i of c.producers) producer.run(rows[i * ${ROW_FIELDS}], c.first + i);
    for (const [type, count] of perType) typeStat.run(type, count, c.ts);
    meta.run('next_offset', String(c.first + n));
    meta.run('last_ts', String(c.ts));
    meta.run(w.typeStatsUpTo, String(c.first + n - 1));
  });
  const status = db.prepare(w.statusUpsert), snapshot = db.prepare(w.snapshotUpsert);
  // After a failed status save the high-water stays put for this session (saves already queued behind it too).
  const statuses = db.transaction((c) => {
    const v = c.statuses, n = c.snapshots;
    for (let i = 0; i < v.length; i += 3) status.run(v[i], v[i + 1], v[i + 2]);
    if (c.upTo !== null && !s.statusLost) meta.run(w.sessionsUpTo, String(c.upTo));
    for (let i = 0; i < n.length; i += 2) snapshot.run(n[i], n[i + 1]);
  });
  return { db, write, statuses, statusLost: false, port: m.port, signal: new Int32Array(m.signal) };
}
${UNPACK_ROWS_SOURCE}
${ROW_CHECKSUM_SOURCE}
function reply(m) { s.port.postMessage(m); Atomics.add(s.signal, 0, 1); Atomics.notify(s.signal, 0); }
parentPort.on('message', (c) => {
  if (c.type === 'open') {
    // A log it cannot open (say no file descriptor is left) is not fatal: every commit is answered as not committed.
    try { s = open(c); }
    catch (e) { s = { unopened: String((e && e.message) || e), port: c.port, signal: new Int32Array(c.signal) }; }
    return;
  }
  if (c === 'close') {
    try { if (s.db) s.db.close(); } catch {}
    Atomics.store(s.signal, 1, 1); Atomics.notify(s.signal, 1);
    s.port.close(); s = null;
    return;
  }
  if (c === 'crash') process.exit(70);
  if (s.unopened !== undefined) return reply({ seq: c.seq, ok: false, message: s.unopened, code: '${WRITER_NOT_OPEN}' });
  try { (c.statuses === undefined ? s.write : s.statuses).immediate(c); reply({ seq: c.seq, ok: true }); }
  catch (e) {
    if (c.statuses !== undefined) s.statusLost = true;
    reply({ seq: c.seq, ok: false, message: String((e && e.message) || e), code: e && e.code });
  }
});
`;

const idle: Worker[] = [];

function spawnWorker(): Worker {
  const values = `(${Array<string>(ROW_PARAMS).fill('?').join(', ')})`;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB },
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      insertOne: `INSERT INTO events(${COLUMNS}) VALUES ${values}`,
      insertMany: `INSERT INTO events(${COLUMNS}) VALUES ${Array<string>(INSERT_ROWS).fill(values).join(', ')}`,
      typeStat:
        'INSERT INTO type_stats(event_type, count, last_seen) VALUES (?, ?, ?) ' +
        'ON CONFLICT(event_type) DO UPDATE SET count = count + excluded.count, last_seen = MAX(last_seen, excluded.last_seen)',
      meta: 'INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      typeStatsUpTo: TYPE_STATS_UPTO,
      statusUpsert: SESSION_STATUS_UPSERT,
      snapshotUpsert: SESSION_SNAPSHOT_UPSERT,
      sessionsUpTo: SESSIONS_UPTO,
    },
  });
  worker.unref();
  // Hint: an idle worker that ends (it should not) is never handed out again.
  worker.once('exit', () => {
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
  });
  return worker;
}

/** A writer worker with its session opened (an idle one when there is one, else a new one). */
export function takeWriterWorker(session: WriterSession): Worker {
  const worker = idle.pop() ?? spawnWorker();
  worker.postMessage({ type: 'open', ...session }, [session.port]);
  return worker;
}

/** Give back a worker whose session closed cleanly (its connection is closed); beyond the idle limit it ends. */
export function releaseWriterWorker(worker: Worker): void {
  if (idle.length < IDLE_WORKERS) idle.push(worker);
  else void worker.terminate();
}
