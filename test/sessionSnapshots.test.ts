import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine, initialTransition, transition } from 'xstate';
import { silentLogger } from '../src/actors/logger.js';
import { sessionLogic } from '../src/actors/sessionLogic.js';
import { SessionRegistry } from '../src/actors/sessionRegistry.js';
import { type SessionView, toView } from '../src/actors/sessionView.js';
import type { SessionStatusRow } from '../src/persistence/eventLog.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { StoredEvent } from '../src/protocol/eventRecord.js';
import type { EventType } from '../src/protocol/eventTypes.js';
import { scanLog } from './support/logOracle.js';

const T0 = Date.UTC(2026, 0, 31, 12);
const TYPES: EventType[] = ['session_created', 'quiz_started', 'answer_submitted', 'quiz_completed', 'session_ended'];
const SESSIONS = 4;

/** What folding a session's records from the log, all of them one by one, gives: the view without snapshots. */
function referenceView(records: readonly StoredEvent[], sessionId: string): SessionView | null {
  const own = records.filter((r) => r.session_id === sessionId);
  if (own.length === 0) return null;
  let [snapshot] = initialTransition(sessionLogic, { session_id: sessionId });
  for (const record of own)
    [snapshot] = transition(sessionLogic, snapshot, { type: 'session.records', records: [record] });
  return toView(snapshot.value, snapshot.context);
}

type Step =
  | { readonly append: readonly number[] }
  | { readonly read: number }
  | { readonly fold: true }
  | { readonly sweep: true }
  | { readonly retain: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ append: fc.array(fc.nat(SESSIONS - 1), { minLength: 1, maxLength: 8 }) }), weight: 4 },
  { arbitrary: fc.record({ read: fc.nat(SESSIONS - 1) }), weight: 2 },
  { arbitrary: fc.constant({ fold: true as const }), weight: 1 },
  { arbitrary: fc.constant({ sweep: true as const }), weight: 1 },
  { arbitrary: fc.record({ retain: fc.nat(6) }), weight: 1 },
);

describe('session snapshots', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  // Session actors are children; a bare root stands in for the supervisor here.
  const parent = createActor(createMachine({})).start();

  it.each([
    ['room for every session', 100],
    ['more sessions than actors', 2],
  ])(
    'never change a view: after any appends, reads, folds, sweeps and retention, crash or clean stop, every view is the log folded record by record: %s',
    (_, maxActive) => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 24 }), fc.boolean(), (steps, crash) => {
          dir = mkdtempSync(join(tmpdir(), 'snapshots-'));
          const path = join(dir, 'events.db');
          let clock = T0;
          const open = () =>
            new SqliteEventLog({
              path,
              now: () => clock,
              newId: (o) => `e${o}`,
              newEpoch: () => 'e',
              indexer: 'inline',
              indexChunk: 8,
            });
          const registryOf = (log: SqliteEventLog) =>
            new SessionRegistry({
              log,
              monotonic: () => clock,
              idleMs: 1_000,
              maxActive,
              logger: silentLogger,
              parent: () => parent,
              // Hint: small, so the steps take snapshots at passivation and while live.
              snapshots: { minEvents: 2, everyEvents: 3 },
            });
          const log = open();
          const sessions = registryOf(log);
          const save = (rows: readonly SessionStatusRow[]) => sessions.save(rows);
          let n = 0;
          for (const s of steps) {
            if ('append' in s) {
              clock += 1_000;
              const events = s.append.map((k) => ({
                id: null,
                event_type: TYPES[n++ % TYPES.length]!,
                source: 'snap',
                session_id: `s${k}`,
                user_id: `u${n % 3}`,
                payloadJson: `{"quiz_id":"q${n}"}`,
              }));
              const [outcome] = log.appendGroups([events]);
              if (outcome?.ok) sessions.applyBatch(outcome.appended);
            } else if ('read' in s) {
              const view = sessions.get(`s${s.read}`);
              save([]);
              expect(view).toEqual(referenceView(scanLog(path), `s${s.read}`));
            } else if ('fold' in s) save(sessions.foldPending(Number.POSITIVE_INFINITY));
            else if ('sweep' in s) {
              clock += 2_000;
              save(sessions.passivateIdle());
            } else {
              // Retention, as the supervisor runs it: delete, then stop every session actor.
              log.deleteBefore(clock - s.retain * 1_000);
              save(sessions.stopAll());
            }
          }
          if (!crash) save(sessions.stopAll());
          log.close();
          const reopened = open();
          const cold = registryOf(reopened);
          cold.catchUp();
          const records = scanLog(path);
          for (let k = 0; k < SESSIONS; k++) expect(cold.get(`s${k}`)).toEqual(referenceView(records, `s${k}`));
          reopened.close();
          rmSync(dir, { recursive: true, force: true });
        }),
        { numRuns: 80 },
      );
    },
  );
});
