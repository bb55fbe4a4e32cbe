import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { event, getJson, publish, queryEvents, type EventRecord } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

/** A port that was free a moment ago (PORT=0 would not tell us which one the child got). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Child {
  readonly process: ChildProcess;
  readonly base: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Start `node dist/src/main.js` and resolve once it logs that it is listening. */
async function startMain(dir: string): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATABASE_PATH: join(dir, 'events.db'), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('event pipeline listening')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(({ code, signal }) => reject(new Error(`main exited early (code ${code}, signal ${signal}):\n${output}`)));
  });
  return { process: child, base: `http://127.0.0.1:${port}`, exited, output: () => output };
}

describe('node dist/src/main.js', () => {
  let dir: string;
  let child: Child | null = null;
  let restarted: TestServer | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-sigterm-'));
  });
  afterEach(async () => {
    if (child !== null && child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
    child = null;
    await restarted?.close();
    restarted = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is built (npm test runs the build first)', () => {
    expect(existsSync(MAIN)).toBe(true);
  });

  it('exits 0 on SIGTERM and keeps every acknowledged event', async () => {
    child = await startMain(dir);
    expect((await getJson(child.base, '/health')).body).toMatchObject({ status: 'ok', service: 'event-pipeline' });
    const epoch = (await getJson<{ epoch: string }>(child.base, '/health')).body.epoch;

    const records: EventRecord[] = [];
    records.push((await publish(child.base, event({ event_type: 'quiz_started', session_id: 'sig', payload: { quiz_id: 'q' } }))).body);
    const batch = await publish<EventRecord[]>(child.base, Array.from({ length: 50 }, (_, i) => event({ session_id: 'sig', payload: { i } })));
    expect(batch.status).toBe(201);
    records.push(...batch.body);
    records.push((await publish(child.base, event({ id: 'last-one', event_type: 'quiz_completed', session_id: 'sig' }))).body);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));

    child.process.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.output()).not.toMatch(/\n\s+at /);

    restarted = await startTestServer({}, {}, dir);
    expect((await getJson<{ epoch: string }>(restarted.base, '/health')).body.epoch).toBe(epoch);
    expect(await queryEvents(restarted.base, { order: 'asc', limit: 1000 })).toEqual(records);
    expect((await getJson(restarted.base, '/api/v1/sessions/sig')).body).toMatchObject({ status: 'completed', event_count: 52, quiz_id: 'q' });
    expect((await publish(restarted.base, event())).body.offset).toBe(53);
  });

  it('exits 0 on SIGTERM with a publish in flight, and an acknowledged publish survives', async () => {
    child = await startMain(dir);
    const acked = await publish(child.base, event({ id: 'before-term' }));
    expect(acked.status).toBe(201);
    // Fire one more publish and SIGTERM without waiting: it may or may not be acknowledged, but the exit must be clean.
    const inFlight = publish(child.base, event({ id: 'during-term' })).then(
      (res) => res.status,
      () => null,
    );
    child.process.kill('SIGTERM');
    const status = await inFlight;
    expect(await child.exited).toEqual({ code: 0, signal: null });

    restarted = await startTestServer({}, {}, dir);
    expect((await getJson(restarted.base, '/events/before-term')).body).toEqual(acked.body);
    const during = await getJson(restarted.base, '/events/during-term');
    // An acknowledged publish must be durable; an unacknowledged one may be absent.
    if (status === 201) expect(during.status).toBe(200);
    expect([200, 404]).toContain(during.status);
  });
});
