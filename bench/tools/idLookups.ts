import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../../src/protocol/eventInput.js';
import { offsetIds } from '../../src/protocol/offsetIds.js';
import { prefixedIds } from '../../src/protocol/prefixedIds.js';
import { risingIds } from '../../src/protocol/risingIds.js';

/**
 * Diagnosis: what looking up an id the log does not hold costs as the log grows (every new producer id's resend
 * check is one). Appends `events` id-less events in commits of 10,000 (inline indexer, chunks of 20,000) with the
 * server's ids (`offset`) or random ids of the same shape (`random`: a cluster replica's, made before the stream
 * numbers them), and after each fifth of them times getById of 2,000 fresh ids: the SDK's own (`sdk`, the default)
 * or ids of the server's shape (`server`, `evt_` + 21 random symbols). The log tells its ids as the server does.
 *
 *   node dist/bench/tools/idLookups.js [offset|random] [events] [sdk|server]
 */
const mode = process.argv[2] === 'random' ? 'random' : 'offset';
const total = Number(process.argv[3] ?? 1_000_000);
const lookups = process.argv[4] === 'server' ? 'server' : 'sdk';
const dir = mkdtempSync(join(tmpdir(), 'id-lookups-'));
const unknown = lookups === 'server' ? prefixedIds('evt_') : risingIds('evt_');
const log = new SqliteEventLog({
  path: join(dir, 'events.db'),
  isGeneratedId: (id) => /^evt_[A-Za-z0-9_-]{21}$/.test(id),
  newId: mode === 'random' ? prefixedIds('evt_') : offsetIds('evt_'),
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
  for (let appended = 0; appended < total; ) {
    const count = Math.min(10_000, total - appended);
    log.appendGroups([Array.from({ length: count }, input)]);
    appended += count;
    if (appended % step !== 0 && appended !== total) continue;
    log.indexTail();
    const ids = Array.from({ length: 2_000 }, unknown);
    const start = performance.now();
    for (const id of ids) log.getById(id);
    const micros = ((performance.now() - start) * 1000) / ids.length;
    console.log(`${mode} ids, ${appended} events: getById of an unknown ${lookups} id ${micros.toFixed(1)} µs`);
  }
} finally {
  log.close();
  rmSync(dir, { recursive: true, force: true });
}
