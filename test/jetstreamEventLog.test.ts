import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JetStreamEventLog } from '../src/persistence/jetstream/jetStreamEventLog.js';
import { runLogContract } from './logContract.case.js';
import { NatsCluster } from './support/natsCluster.js';
import { SyncJetStreamLogHost } from './support/syncJetStreamLog.js';

// One nats-server with JetStream on a free loopback port; every harness of the contract gets its own stream.
let nats: NatsCluster | undefined;
let host: SyncJetStreamLogHost | undefined;

beforeAll(async () => {
  nats = await NatsCluster.start(1);
  host = new SyncJetStreamLogHost(nats.url);
}, 30_000);
afterAll(async () => {
  await host?.stop();
  await nats?.stop();
});

runLogContract('JetStreamEventLog (replica applied from a one-server stream)', (path, deps) => {
  if (host === undefined) throw new Error('the NATS server did not start');
  return host.open(path, deps);
});

// Start-up is bounded: a node on an empty replica serves at once and reports "catching up" until it holds the
// stream's last sequence as it was at start.
describe('JetStreamEventLog start-up', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function options(stream: string) {
    const dir = mkdtempSync(join(tmpdir(), 'js-start-'));
    dirs.push(dir);
    let n = 0;
    return {
      path: join(dir, 'replica.db'),
      now: () => 1_000,
      newId: () => `gen-${++n}`,
      newEpoch: () => 'e1',
      indexer: 'inline' as const,
      jetstream: { servers: nats!.url.split(','), stream, replicas: 1, duplicateWindowMs: 120_000 },
    };
  }

  it('opens without waiting for the backlog, answers not ready while catching up, then ready at the same head', async () => {
    const writer = await JetStreamEventLog.open(options('STARTUP'));
    const input = { id: null, event_type: 'quiz_started' as const, source: 's', session_id: null, user_id: null };
    const batch = Array.from({ length: 500 }, (_, i) => ({ ...input, payloadJson: `{"i":${i}}` }));
    await writer.commit([batch]);
    const late = await JetStreamEventLog.open(options('STARTUP'));
    try {
      expect(late.health()).toEqual({ writable: false, reason: 'catching up with the stream: at offset 0 of 500' });
      expect(late.readFrom(1, {}, 10)).toEqual([]);
      await vi.waitFor(() => expect(late.health().writable).toBe(true), { timeout: 10_000 });
      expect(late.headOffset()).toBe(500);
      expect(late.readFrom(1, {}, 1_000)).toEqual(writer.readFrom(1, {}, 1_000));
    } finally {
      late.close();
      writer.close();
    }
  });
});
