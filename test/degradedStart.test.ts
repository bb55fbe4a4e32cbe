import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildServer, killServer, spawnServer } from './support/childServer.js';
import { allEvents, getJson, postEvents } from './support/pipelineRest.js';
import type { WireRecord } from './support/wsClient.js';

describe('the server starts whenever the log itself is readable', () => {
  let dir = '';
  const servers: ChildServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await killServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  const publish = async (base: string, tag: string) => {
    for (let i = 0; i < 30; i++) {
      const res = await postEvents(base, {
        event_type: 'answer_submitted',
        source: 'degraded',
        session_id: `${tag}-s${i % 3}`,
        user_id: `${tag}-u${i % 2}`,
        payload: { i },
      });
      expect(res.status).toBeLessThan(300);
    }
  };

  const expectKeyedReadsMatch = async (base: string) => {
    const log = await allEvents(base);
    for (const key of ['session_id', 'user_id'] as const) {
      for (const value of new Set(log.map((r) => r[key]))) {
        expect((await allEvents(base, `&${key}=${value}`)).map((r) => r.offset)).toEqual(
          log.filter((r) => r[key] === value).map((r) => r.offset),
        );
      }
    }
    for (const record of log) expect((await getJson<WireRecord>(`${base}/events/${record.id}`)).body).toEqual(record);
    return log;
  };

  it('discards a garbage or truncated index at start and serves correct keyed and by-id reads (no exit, no stack)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'degraded-'));
    const path = join(dir, 'events.db');
    const first = await spawnServer(path);
    servers.push(first);
    await publish(first.base, 'a');
    first.proc.kill('SIGTERM');
    await first.exited;

    writeFileSync(`${path}.index`, 'definitely not a database '.repeat(2000));
    const second = await spawnServer(path);
    servers.push(second);
    await publish(second.base, 'b');
    expect(await expectKeyedReadsMatch(second.base)).toHaveLength(60);
    second.proc.kill('SIGTERM');
    await second.exited;
    expect(second.output()).not.toMatch(/\n\s+at /);

    truncateSync(`${path}.index`, Math.floor(statSync(`${path}.index`).size / 3));
    const third = await spawnServer(path);
    servers.push(third);
    expect(await expectKeyedReadsMatch(third.base)).toHaveLength(60);
  });
});
