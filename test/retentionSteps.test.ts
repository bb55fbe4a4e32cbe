import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const EVENTS = 200_000;

/** Write `count` events straight into a log at `path` (faster than publishing them), in batches of 1,000. */
function writeLog(path: string, count: number): void {
  let ids = 0;
  const log = new SqliteEventLog({ path, newId: () => `gen-${++ids}`, newEpoch: () => 'steps', now: Date.now });
  const input = (n: number): EventInput => ({
    id: `p-${n}`,
    event_type: 'answer_submitted',
    source: 'retention-steps',
    session_id: `s${n % 100}`,
    user_id: null,
    payloadJson: '{}',
  });
  try {
    for (let n = 0; n < count; n += 1_000)
      log.appendGroups([Array.from({ length: Math.min(1_000, count - n) }, (_, i) => input(n + i))]);
  } finally {
    log.close();
  }
}

describe('DELETE /events on a large log', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('answers /health and /stats between its steps, which show the first offset moving up part way', async () => {
    server = await startTestServer();
    const path = server.config.databasePath;
    await server.close();
    writeLog(path, EVENTS);
    server = await startTestServer({}, {}, server.dir);
    const base = server.base;
    let deleted: number | undefined;
    const deleting = fetch(`${base}/events`, { method: 'DELETE' }).then(async (response) => {
      deleted = ((await response.json()) as { deleted: number }).deleted;
    });
    const partWay: number[] = [];
    let healthyWhileDeleting = 0;
    while (deleted === undefined) {
      const [health, stats] = await Promise.all([fetch(`${base}/health`), fetch(`${base}/stats`)]);
      const { first_offset } = (await stats.json()) as { first_offset: number };
      if (deleted !== undefined) break;
      if (health.status === 200) healthyWhileDeleting++;
      if (first_offset > 1 && first_offset <= EVENTS) partWay.push(first_offset);
    }
    await deleting;
    expect(deleted).toBe(EVENTS);
    // Hint: a delete in one transaction answers nothing in between, so no reply could show a first offset part way.
    expect(healthyWhileDeleting).toBeGreaterThan(0);
    expect(partWay.length).toBeGreaterThan(0);
    expect(partWay).toEqual([...partWay].sort((a, b) => a - b));
    const after = (await (await fetch(`${base}/stats`)).json()) as { first_offset: number; total_events: number };
    expect(after).toMatchObject({ first_offset: EVENTS + 1, total_events: 0 });
    // A deleted producer id is free again.
    const again = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'p-7', event_type: 'answer_submitted', source: 'x', payload: {} }),
    });
    expect(again.status).toBe(201);
    expect(((await again.json()) as { offset: number }).offset).toBe(EVENTS + 1);
  }, 120_000);
});
