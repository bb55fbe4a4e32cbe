import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_BINARY, type CliRun, cliServers } from './support/cliRun.js';

const { dir, server } = cliServers('cli-acks-closed-');

/** `count` NDJSON events in a file of the test's directory (about 250 KB of acks for 5,000: past a pipe's buffer). */
function eventsFile(count: number): string {
  const file = join(dir(), 'events.ndjson');
  const line = `${JSON.stringify({ event_type: 'timer_tick', source: 'acks_closed' })}\n`;
  writeFileSync(file, line.repeat(count));
  return file;
}

/**
 * `publish --acks --file FILE` as a child whose stdout's reader takes one chunk and then goes away: at once
 * (`| head -1`), or once `closeWhen` resolves, not reading meanwhile (a reader that reads one line and sleeps).
 */
function publishToClosingReader(base: string, file: string, closeWhen?: () => Promise<void>): Promise<CliRun> {
  const proc = spawn(process.execPath, [CLI_BINARY, 'publish', '--acks', '--file', file, '--url', base], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  proc.stdout.once('data', (chunk: Buffer) => {
    stdout = chunk.toString();
    if (closeWhen === undefined) return void proc.stdout.destroy();
    proc.stdout.pause();
    void closeWhen().then(() => proc.stdout.destroy());
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Resolves once the server's head is at `offset` (asked every 20 ms). */
async function headAt(base: string, offset: number): Promise<void> {
  for (;;) {
    const stats = (await (await fetch(`${base}/stats`)).json()) as { head_offset: number };
    if (stats.head_offset >= offset) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const CLOSED =
  /^published 5000 event\(s\), offsets 1–5000; standard output was closed, so later acks were not printed\n$/;

describe('publish --acks whose reader goes away after the input was read', () => {
  it('says the later acks were not printed and exits 1 (`| head -1` on 5,000 lines)', async () => {
    const s = await server('head');
    const run = await publishToClosingReader(s.base, eventsFile(5_000));
    // Before: exit 0 and `published 5000 event(s), offsets 1–5000`, the acks after the first chunk lost unsaid.
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(CLOSED);
    expect(run.stdout).toMatch(/^\{"line":1,/);
  });

  it('says so too when the reader sleeps until every event is stored, then goes', async () => {
    const s = await server('sleeper');
    const run = await publishToClosingReader(s.base, eventsFile(5_000), () => headAt(s.base, 5_000));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(CLOSED);
  });
});
