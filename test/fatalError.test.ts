import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChildServer, killServer, spawnServer } from './support/childServer.js';
import { event, publish, queryEvents } from './support/httpCall.js';

const PRELOAD = fileURLToPath(new URL('./support/provokeFatal.mjs', import.meta.url));

interface LogLine {
  level: number;
  msg: string;
  origin?: string;
  err?: { type: string; message: string; stack?: string };
}

const logLines = (output: string): LogLine[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

describe('last resort for an uncaught error in main', () => {
  let dir: string;
  let child: ChildServer | undefined;
  let restarted: ChildServer | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-fatal-'));
  });
  afterEach(async () => {
    await killServer(child);
    await killServer(restarted);
    child = restarted = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [provoke, origin, message] of [
    ['throw', 'uncaughtException', 'provoked by test'],
    ['reject', 'unhandledRejection', 'provoked rejection'],
  ] as const) {
    it(`logs an ${origin} at fatal level with its stack, shuts down cleanly and exits 1, keeping acked events`, async () => {
      child = await spawnServer(join(dir, 'events.db'), { LOG_LEVEL: 'info', PROVOKE: provoke }, ['--import', PRELOAD]);
      const acked = await publish(
        child.base,
        event({ event_type: 'quiz_started', session_id: 'fatal', payload: { quiz_id: 'q' } }),
      );
      expect(acked.status).toBe(201);
      child.proc.kill('SIGUSR2');
      expect(await child.exited).toEqual({ code: 1, signal: null });
      const fatal = logLines(child.output()).filter((line) => line.level === 60);
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toMatchObject({ msg: 'uncaught error; shutting down', origin, err: { type: 'Error', message } });
      expect(fatal[0]!.err?.stack).toContain('provokeFatal.mjs');
      // Hint: SQLite removes the WAL file when the last connection closes cleanly; after a crash it stays.
      expect(existsSync(join(dir, 'events.db-wal'))).toBe(false);
      restarted = await spawnServer(join(dir, 'events.db'));
      const events = await queryEvents(restarted.base, { session_id: 'fatal' });
      expect(events.map((record) => record.id)).toEqual([acked.body.id]);
    });
  }
});
