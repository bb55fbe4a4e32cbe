import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EventFactory, meanPayloadBytes } from '../lib/eventFactory.js';
import type { Metric, Scenario, ScenarioOutcome } from '../lib/scenario.js';
import { rate } from '../lib/sqliteCeilings.js';
import { withTempDir } from '../lib/tempDir.js';
import { appendToLog } from './logAppend.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY, event_type TEXT NOT NULL, source TEXT NOT NULL, session_id TEXT, user_id TEXT,
  payload TEXT, timestamp TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_event_type ON events(event_type);
CREATE INDEX IF NOT EXISTS idx_session_id ON events(session_id);
CREATE INDEX IF NOT EXISTS idx_timestamp ON events(timestamp);`;

/**
 * The old Python service's persistence, reimplemented faithfully: per event, open a connection (SQLite defaults:
 * rollback journal, synchronous FULL), INSERT with a uuid4 id and ISO timestamp, commit, close.
 */
export const baseline: Scenario = {
  name: 'baseline',
  summary: "the old service's per-event connect/insert/commit/close persistence, for the ×-factor",
  run: (context) =>
    withTempDir('baseline', async (dir): Promise<ScenarioOutcome> => {
      const path = join(dir, 'old.db');
      const setup = new Database(path);
      setup.exec(SCHEMA);
      setup.close();
      const inputs = new EventFactory({ seed: 17, sessions: 1_000, users: 5_000 }).inputs(20_000);
      const budgetMs = context.quick ? 1_500 : 8_000;
      const maxEvents = 200_000;
      let count = 0;
      const started = performance.now();
      for (; count < maxEvents && performance.now() - started < budgetMs; count++) {
        const input = inputs[count % inputs.length]!;
        const db = new Database(path);
        const insert = db.prepare(
          'INSERT INTO events (id, event_type, source, session_id, user_id, payload, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)',
        );
        db.exec('BEGIN');
        insert.run(
          randomUUID(),
          input.event_type,
          input.source,
          input.session_id,
          input.user_id,
          input.payloadJson,
          new Date().toISOString(),
        );
        db.exec('COMMIT');
        db.close();
      }
      const old = rate(count, performance.now() - started);

      // Ours: ingest-ws-batch from this run if it ran, else log-append from this run, else a short log-append here.
      const fromRun = (name: string, metric: string) =>
        context.results.get(name)?.metrics.find((m) => m.name === metric)?.value;
      let oursName = 'ingest-ws-batch';
      let ours = fromRun('ingest-ws-batch', 'events/s');
      if (ours === undefined) {
        oursName = 'log-append';
        ours = fromRun('log-append', 'appends/s');
      }
      if (ours === undefined) {
        oursName = 'log-append (measured here, 100k rows)';
        ours = (await appendToLog(join(dir, 'log.db'), inputs, 100_000)).perSecond;
      }
      const metrics: Metric[] = [
        { name: 'old pattern events/s', value: old.perSecond, unit: 'ev/s' },
        { name: `×-factor (${oursName})`, value: ours / old.perSecond, unit: '×' },
      ];
      return {
        metrics,
        details: { old, ours, oursName, meanPayloadBytes: meanPayloadBytes(inputs) },
        notes: [
          `${count.toLocaleString('en-US')} events in ${(old.elapsedMs / 1000).toFixed(1)} s; persistence only (no HTTP/JSON), so the factor understates the old service's cost`,
        ],
      };
    }),
};
