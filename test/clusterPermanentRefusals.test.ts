import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import { offsetIds } from '../src/protocol/offsetIds.js';
import { runMain } from './support/childServer.js';
import { LoneNatsServer } from './support/loneNatsServer.js';

const TOKEN = 's3cret-token';

/**
 * Starts refused for what no restart can fix exit 2 naming the setting, where they exited 6 ("unavailable", which a
 * supervisor retries forever): a NATS server without JetStream, credentials the servers refuse, a DATABASE_PATH that
 * holds an embedded-mode log (found before anything is created in the cluster).
 */
describe('cluster mode: permanent misconfigurations at start', () => {
  let plain: LoneNatsServer;
  let guarded: LoneNatsServer;
  const dir = mkdtempSync(join(tmpdir(), 'cluster-refusals-'));
  let runs = 0;
  beforeAll(async () => {
    plain = await LoneNatsServer.start([]);
    guarded = await LoneNatsServer.start([`authorization { token: "${TOKEN}" }`, 'jetstream { store_dir: "STORE" }']);
  });
  afterAll(async () => {
    await plain?.stop();
    await guarded?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (env: Record<string, string>) =>
    runMain({
      LOG_BACKEND: 'jetstream',
      NATS_REPLICAS: '1',
      NATS_STREAM: 'EVENTS',
      DATABASE_PATH: join(dir, `run-${++runs}.db`),
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    });

  it('refuses a NATS server without JetStream with exit 2, naming NATS_URL', async () => {
    const run = await start({ NATS_URL: plain.url });
    // Before: exit 6 "JetStream stream EVENTS at … is unavailable: jetstream is not enabled".
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `configuration error: NATS_URL: the NATS servers at ${plain.url} do not run JetStream for this account ` +
        '(jetstream is not enabled): enable it in their configuration (jetstream { store_dir: … }), or point ' +
        'NATS_URL at a JetStream cluster',
    );
  });

  it('refuses credentials the servers refuse, or none where they need some, with exit 2 naming the settings', async () => {
    const none = await start({ NATS_URL: guarded.url });
    // Before: exit 6 "cannot reach the NATS cluster at …: Authorization Violation", naming no setting.
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe(
      `configuration error: NATS_USER, NATS_TOKEN or NATS_CREDS: the NATS servers at ${guarded.url} require ` +
        'credentials, and none is set (Authorization Violation): set NATS_USER and NATS_PASSWORD, NATS_TOKEN, or NATS_CREDS',
    );
    const token = await start({ NATS_URL: guarded.url, NATS_TOKEN: 'wrong' });
    expect(token.code).toBe(2);
    expect(token.stderr.trim()).toBe(
      `configuration error: NATS_TOKEN: the NATS servers at ${guarded.url} refused these credentials ` +
        '(Authorization Violation); check NATS_TOKEN',
    );
    const user = await start({ NATS_URL: guarded.url, NATS_USER: 'u', NATS_PASSWORD: 'p' });
    expect(user.code).toBe(2);
    expect(user.stderr.trim()).toMatch(
      /^configuration error: NATS_USER, NATS_PASSWORD: .* check NATS_USER and NATS_PASSWORD$/,
    );
    // Behind entries where nothing listens, the refusal is still the verdict. Before: the client threw the error of the
    // last server it tried, in random order, so this exited 6 "connection refused" on three starts in four.
    const among = `nats://127.0.0.1:1,nats://127.0.0.1:2,${guarded.url},nats://127.0.0.1:3`;
    const hidden = await start({ NATS_URL: among, NATS_TOKEN: 'wrong' });
    expect(hidden.code).toBe(2);
    expect(hidden.stderr.trim()).toBe(
      `configuration error: NATS_TOKEN: the NATS servers at ${among} refused these credentials ` +
        '(Authorization Violation); check NATS_TOKEN',
    );
    // A port where nothing listens is still an outage to wait out.
    const away = await start({ NATS_URL: 'nats://127.0.0.1:1' });
    expect(away.code).toBe(6);
  });

  it('refuses a DATABASE_PATH holding an embedded-mode log with exit 2, before creating the stream', async () => {
    const path = join(dir, 'embedded.db');
    const log = new SqliteEventLog({ path, newId: offsetIds('evt_'), newEpoch: () => 'embedded' });
    const input = { id: null, event_type: 'quiz_started' as const, source: 's', session_id: null, user_id: null };
    log.appendGroups([
      [
        { ...input, payloadJson: '{}' },
        { ...input, payloadJson: '{}' },
      ],
    ]);
    log.close();
    const run = await start({ NATS_URL: guarded.url, NATS_TOKEN: TOKEN, NATS_STREAM: 'FRESH', DATABASE_PATH: path });
    // Before: exit 6, after stream FRESH had been created.
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `configuration error: DATABASE_PATH: ${path} holds an embedded-mode log (records up to offset 2), not a ` +
        'replica of a stream: move it away or point DATABASE_PATH elsewhere (a cluster node replicates the stream ' +
        'into its own file), or serve it without LOG_BACKEND=jetstream',
    );
    const nc = await connect({ servers: guarded.url, token: TOKEN });
    try {
      const names = await (await jetstreamManager(nc)).streams.names().next();
      expect(names).not.toContain('FRESH');
    } finally {
      await nc.close();
    }
  });
});
