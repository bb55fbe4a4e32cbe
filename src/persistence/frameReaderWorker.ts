import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ROW_JSON_DAY_SQL } from './eventRows.js';

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
  if (m === null) { db.close(); Atomics.store(w.closed, 0, 1); Atomics.notify(w.closed, 0); parentPort.close(); return; }
  const s = streams.get(m.id);
  if (m.type === 'open') { streams.set(m.id, m); turns.push(m.id); }
  else if (m.type === 'cancel') streams.delete(m.id);
  else if (s !== undefined) { s.head = Math.max(s.head, m.head); if (s.credits++ === 0) turns.push(m.id); }
  schedule();
});
`;

/**
 * A reader worker with its read-only connection to the log at `path` (see FrameReaderThread), not keeping the process
 * up, and the word it sets to 1 once that connection is closed (see LogFileBaseline.fd: the log's own descriptor is
 * closed only after every connection of the process to the file).
 */
export function spawnReaderWorker(path: string): { worker: Worker; closed: Int32Array } {
  const closed = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_GENERATION_MB },
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      cacheKiB: READER_CACHE_KIB,
      statements: READER_STATEMENTS,
      daySql: ROW_JSON_DAY_SQL,
      closed,
    },
  });
  worker.unref();
  return { worker, closed };
}
