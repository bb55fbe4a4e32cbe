import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_BINARY } from './support/cliRun.js';
import { RestartableServer } from './support/restartableServer.js';

let server: RestartableServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.kill();
  server = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Poll a condition over real I/O, with a bounded deadline. */
async function until(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function publish(base: string, source: string): Promise<void> {
  const res = await fetch(`${base}/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ event_type: 'timer_tick', source }),
  });
  expect(res.status).toBe(201);
}

describe('tail --follow across a server restart', () => {
  it('writes a line per reconnect attempt, then one saying from which offset it follows again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cli-follow-'));
    server = await RestartableServer.start(join(dir, 'events.db'));
    const running = server;
    const proc = spawn(process.execPath, [CLI_BINARY, 'tail', '--follow', '--json', '--url', running.base], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
    const lines = () => stderr.split('\n').filter((line) => line !== '');
    try {
      // Published until one arrives: the tail follows from the head it found, so the first may precede it.
      for (let i = 0; stdout === '' && i < 100; i++) {
        await publish(running.base, 'before');
        await until(() => stdout !== '', 'the tail to print a record', 200).catch(() => undefined);
      }
      const next = (JSON.parse(stdout.trim().split('\n').at(-1)!) as { offset: number }).offset + 1;
      await running.kill();
      await until(() => lines().length >= 2, 'two reconnect attempts');
      await running.restart();
      await until(() => stderr.includes('following again'), 'the line saying it follows again');
      await publish(running.base, 'after');
      await until(() => stdout.includes('"source":"after"'), 'the record published after the restart');
      const [last, ...attempts] = lines().reverse();
      expect(last).toBe(`following again from offset ${next}`);
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      for (const line of attempts) expect(line).toMatch(new RegExp(`; reconnecting in \\d+ ms from offset ${next}$`));
    } finally {
      proc.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
