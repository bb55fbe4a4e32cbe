import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../../src/protocol/eventInput.js';
import { offsetIds } from '../../src/protocol/offsetIds.js';
import { cryptoBytes, prefixedIds } from '../../src/protocol/prefixedIds.js';
import { risingIds, SERVER_COUNTER_CHARS } from '../../src/protocol/risingIds.js';

/**
 * Diagnosis: what looking up an id the log does not hold costs as the log grows (every new producer id's resend
 * check is one). Appends `events` id-less events in commits of 10,000 (inline indexer, chunks of 20,000) with the
 * server's ids (`offset`), a cluster node's (`cluster`: made before the stream numbers them, rising) or random ids of
 * the same shape (`random`, what a cluster node made until 2026-12-02), and after each fifth of them times getById of
 * 2,000 fresh ids, the SDK's own (`sdk`, the default) or of the server's shape (`server`, `evt_` + 21 random symbols),
 * and of held ids; and what appending and indexing cost per event. The log tells its ids as the server does.
 *
 *   node dist/bench/tools/idLookups.js [offset|cluster|random] [events] [sdk|server]
 */
const mode = (['random', 'cluster'] as const).find((m) => m === process.argv[2]) ?? 'offset';
const total = Number(process.argv[3] ?? 1_000_000);
const lookups = process.argv[4] === 'server' ? 'server' : 'sdk';
const dir = mkdtempSync(join(tmpdir(), 'id-lookups-'));
const unknown = lookups === 'server' ? prefixedIds('evt_') : risingIds('evt_');
const log = new SqliteEventLog({
  path: join(dir, 'events.db'),
  isGeneratedId: (id) => /^evt_[A-Za-z0-9_-]{21}$/.test(id),
  newId:
    mode === 'random'
      ? prefixedIds('evt_')
      : mode === 'cluster'
        ? risingIds('evt_', cryptoBytes, SERVER_COUNTER_CHARS)
        : offsetIds('evt_'),
  newEpoch: () => 'id-lookups',
  indexer: 'inline',
});
let n = 0;
const input = (): EventInput => ({
  id: null,
  event_type: 'timer_tick',
  source: 'bench',
  session_id: `session-${n % 1_000}`,
  user_id: `user-${n++ % 5_000}`,
  payloadJson: '{"n":1}',
});
try {
  const step = Math.max(10_000, Math.floor(total / 5 / 10_000) * 10_000);
  let writeMs = 0;
  let written = 0;
  const perLookup = (ids: readonly string[]) => {
    const start = performance.now();
    for (const id of ids) log.getById(id);
    return (((performance.now() - start) * 1000) / ids.length).toFixed(1);
  };
  for (let appended = 0; appended < total; ) {
    const count = Math.min(10_000, total - appended);
    const batch = Array.from({ length: count }, input);
    const start = performance.now();
    log.appendGroups([batch]);
    appended += count;
    written += count;
    const last = appended % step === 0 || appended === total;
    if (last) log.indexTail();
    writeMs += performance.now() - start;
    if (!last) continue;
    // Held ids: the step's own (its chunks are built now), spread over it.
    const held = log.readFrom(appended - written + 1, {}, written).filter((_, i) => i % 97 === 0);
    const write = ((writeMs * 1000) / written).toFixed(2);
    const fresh = perLookup(Array.from({ length: 2_000 }, unknown));
    console.log(
      `${mode} ids, ${appended} events: getById of an unknown ${lookups} id ${fresh} µs, ` +
        `of a held id ${perLookup(held.map((event) => event.id))} µs; append and index ${write} µs per event`,
    );
    writeMs = 0;
    written = 0;
  }
} finally {
  log.close();
  rmSync(dir, { recursive: true, force: true });
}
