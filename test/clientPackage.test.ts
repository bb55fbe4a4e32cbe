import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/testServer.js';

const run = promisify(execFile);
const NAME = 'realtime-event-pipeline-client';
/** Packages only the server needs: a client install must not fetch or compile any of them. */
const SERVER_ONLY = [
  'better-sqlite3',
  'uWebSockets.js',
  '@nats-io/jetstream',
  '@nats-io/transport-node',
  'xstate',
  'prom-client',
  'pino',
  'swagger-ui-dist',
];

const consumerScript = `
import { Publisher, subscribe, PublishRejectedError } from '${NAME}';
import { filePositionStore } from '${NAME}/node';
const url = process.argv[2];
const pub = new Publisher({ url });
const acked = [];
for (const n of [1, 2, 3]) {
  acked.push((await pub.publish({ event_type: 'timer_tick', source: 'timer_service', session_id: 's1', payload: { n } })).offset);
}
let refused = null;
try { await pub.publish({ event_type: 'timer_tick', source: 'bad source!' }); }
catch (error) { refused = error instanceof PublishRejectedError ? error.field : String(error); }
await pub.close();
const sub = subscribe({ url, filters: { session_id: 's1' }, from: 1, store: filePositionStore('positions.json'), key: 'k' });
const got = [];
for await (const event of sub) { got.push(event.payload.n); if (got.length === 3) break; }
await sub.close();
console.log(JSON.stringify({ acked, refused, got }));
`;

const consumerTypes = `
import { Publisher, type EventRecord } from '${NAME}';
import { filePositionStore } from '${NAME}/node';
// The README's own line: a key from the environment may be undefined, also under exactOptionalPropertyTypes.
const pub = new Publisher({ url: 'http://127.0.0.1:1', apiKey: process.env.API_KEY });
// @ts-expect-error: not an event type, so a compile error
void pub.publish({ event_type: 'quiz_startd', source: 'x' });
export const offsetOf = (record: EventRecord): number => record.offset;
export const store = filePositionStore('positions.json');
`;

// The client packed alone (npm run pack:client), installed where nothing of the repository can be found, used
// against a real server: its files, declarations and dependencies are complete, and it needs no server package.
describe('the client SDK packed alone', () => {
  let dir: string;
  let consumer: string;
  let manifest: { dependencies: Record<string, string>; engines: { node: string } };
  let server: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rep-client-pack-'));
    const { stdout } = await run('node', ['scripts/packClient.mjs', '--out', dir]);
    consumer = join(dir, 'consumer');
    const installed = join(consumer, 'node_modules', NAME);
    mkdirSync(installed, { recursive: true });
    await run('tar', ['-xzf', stdout.trim(), '-C', installed, '--strip-components=1']);
    manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    // Hint: only the declared dependencies are made available, so an undeclared import fails the run below.
    for (const name of [...Object.keys(manifest.dependencies), '@types/node']) {
      mkdirSync(join(consumer, 'node_modules', name, '..'), { recursive: true });
      symlinkSync(resolve('node_modules', name), join(consumer, 'node_modules', name));
    }
    server = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('depends on no server package and runs on any Node from 20', () => {
    expect(Object.keys(manifest.dependencies).filter((name) => SERVER_ONLY.includes(name))).toEqual([]);
    expect(manifest.engines.node).toBe('>=20');
  });

  it('publishes and subscribes with resume against a real server', async () => {
    writeFileSync(join(consumer, 'use.mjs'), consumerScript);
    const { stdout } = await run('node', ['use.mjs', server.base], { cwd: consumer, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ acked: [1, 2, 3], refused: 'source', got: [1, 2, 3] });
    expect(JSON.parse(readFileSync(join(consumer, 'positions.json'), 'utf8')).k.offset).toBe(3);
  });

  it('carries declarations that type-check a strict consumer (exactOptionalPropertyTypes too), event types included', async () => {
    writeFileSync(join(consumer, 'use.ts'), consumerTypes);
    const tsc = resolve('node_modules/typescript/bin/tsc');
    const strictest = ['--strict', '--exactOptionalPropertyTypes'];
    const args = ['--noEmit', ...strictest, '--module', 'nodenext', '--target', 'es2022', '--types', 'node', 'use.ts'];
    const result = await run('node', [tsc, ...args], { cwd: consumer }).catch((error: { stdout: string }) => error);
    expect(result.stdout).toBe('');
  }, 30_000);
});
