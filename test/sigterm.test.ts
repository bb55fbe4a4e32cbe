import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChildServer, killServer, MAIN_JS, spawnServer } from './support/childServer.js';
import { type EventRecord, event, getJson, publish, queryEvents } from './support/httpCall.js';
import { waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';

/** `node dist/src/main.js` with info logs, so the no-stack-trace check sees everything it prints. */
const startMain = (dir: string): Promise<ChildServer> => spawnServer(join(dir, 'events.db'), { LOG_LEVEL: 'info' });

describe('node dist/src/main.js', () => {
  let dir: string;
  let child: ChildServer | null = null;
  let restarted: TestServer | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-sigterm-'));
  });
  afterEach(async () => {
    if (child !== null && child.proc.exitCode === null && child.proc.signalCode === null) {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
    child = null;
    await restarted?.close();
    restarted = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is built (npm test runs the build first)', () => {
    expect(existsSync(MAIN_JS)).toBe(true);
  });

  it('exits 0 on SIGTERM and keeps every acknowledged event', async () => {
    child = await startMain(dir);
    expect((await getJson(child.base, '/health')).body).toMatchObject({ status: 'ok', service: 'event-pipeline' });
    const epoch = (await getJson<{ epoch: string }>(child.base, '/health')).body.epoch;

    const records: EventRecord[] = [];
    records.push(
      (await publish(child.base, event({ event_type: 'quiz_started', session_id: 'sig', payload: { quiz_id: 'q' } })))
        .body,
    );
    const batch = await publish<EventRecord[]>(
      child.base,
      Array.from({ length: 50 }, (_, i) => event({ session_id: 'sig', payload: { i } })),
    );
    expect(batch.status).toBe(201);
    records.push(...batch.body);
    records.push(
      (await publish(child.base, event({ id: 'last-one', event_type: 'quiz_completed', session_id: 'sig' }))).body,
    );
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));

    child.proc.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.output()).not.toMatch(/\n\s+at /);

    restarted = await startTestServer({}, {}, dir);
    expect((await getJson<{ epoch: string }>(restarted.base, '/health')).body.epoch).toBe(epoch);
    expect(await queryEvents(restarted.base, { order: 'asc', limit: 1000 })).toEqual(records);
    expect((await getJson(restarted.base, '/api/v1/sessions/sig')).body).toMatchObject({
      status: 'completed',
      event_count: 52,
      quiz_id: 'q',
    });
    expect((await publish(restarted.base, event())).body.offset).toBe(53);
  });

  it('exits 0 on SIGTERM when whatever read its standard output has gone (EPIPE), keeping what it acknowledged', async () => {
    child = await startMain(dir);
    const acked = (await publish(child.base, event({ id: 'before-the-pipe-broke' }))).body;
    // The log reader exits (as `| head -c 1` does): every later write to standard output fails with EPIPE.
    child.proc.stdout?.destroy();
    child.proc.kill('SIGTERM');
    const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000));
    expect(await Promise.race([child.exited, hung])).toEqual({ code: 0, signal: null });
    restarted = await startTestServer({}, {}, dir);
    expect(await queryEvents(restarted.base, { order: 'asc', limit: 10 })).toEqual([acked]);
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
    child.proc.kill('SIGTERM');
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

describe('npm start', () => {
  let dir: string;
  let npm: ChildServer | null = null;
  let serverPid: number | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-npm-start-'));
  });
  afterEach(async () => {
    // Hint: SIGKILL to npm is not passed on, so a test that failed before it learned the server's pid would leave
    // the server running: kill npm's children (the server, or the shell before it) first.
    const pids = npm === null ? [] : childrenOf(npm.proc.pid!);
    if (serverPid !== null) pids.push(serverPid);
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await killServer(npm ?? undefined);
    npm = null;
    serverPid = null;
    rmSync(dir, { recursive: true, force: true });
  });

  // Hint: a process manager (systemd, a container runtime) that runs `npm start` signals npm; npm passes the signal
  // to the script's shell, so the server gets it only if that shell has become the server (exec).
  it('passes SIGTERM to the server: it shuts down cleanly and exits, keeping what it acknowledged', async () => {
    npm = await spawnServer(join(dir, 'events.db'), { LOG_LEVEL: 'info' }, [], ['npm', 'start', '--ignore-scripts']);
    const acked = await publish(npm.base, event({ id: 'before-term' }));
    expect(acked.status).toBe(201);
    // Hint: /health can answer before the log line has come through the pipe; wait for it.
    // `npm start` as it comes: every ack fsynced (the default durability) unless the operator says otherwise.
    const listeningLine = /"pid":(\d+)[^\n]*"durability":"full"[^\n]*"msg":"event pipeline listening"/;
    const listening = await waitFor(() => listeningLine.exec(npm!.output()), 'the listening line').catch((error) => {
      throw new Error(`${String(error)}; npm start wrote:\n${npm!.output()}`);
    });
    serverPid = Number(listening[1]);

    npm.proc.kill('SIGTERM');
    await npm.exited;
    // Before exec, npm's shell died here and the server kept running: this wait timed out.
    await waitFor(() => !alive(serverPid!), 'the server to exit after npm');
    // Its last lines may still be in the pipe as it goes.
    await waitFor(() => /"msg":"stopped"/.test(npm!.output()), 'the "stopped" line');
    expect(npm.output()).toMatch(/"signal":"SIGTERM"[^\n]*"msg":"shutting down"/);

    const restarted = await startTestServer({}, {}, dir);
    try {
      expect((await getJson(restarted.base, '/events/before-term')).body).toEqual(acked.body);
    } finally {
      await restarted.close();
    }
  });
});

/** Whether a process with this id exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The ids of a process's children (none once it has gone). */
function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(' ').map(Number);
  } catch {
    return [];
  }
}
