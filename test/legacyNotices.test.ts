import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killServer, spawnServer } from './support/childServer.js';
import { waitFor } from './support/pipelineRest.js';

/** The JSON log lines a server wrote that carry a `variable` field. */
function variableLines(output: string): { level: number; variable: string; msg: string }[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"variable"'))
    .map((line) => JSON.parse(line) as { level: number; variable: string; msg: string });
}

describe("the old service's DEBUG, LOG_FORMAT and MAX_QUEUE_SIZE at start (node dist/src/main.js)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'rep-legacy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('logs one warning per variable set, saying what the server does instead, and serves', async () => {
    // The old service's .env.example sets DEBUG=false and MAX_QUEUE_SIZE=10000; its config reads LOG_FORMAT.
    const legacy = { DEBUG: 'true', LOG_FORMAT: 'text', MAX_QUEUE_SIZE: '10000', LOG_LEVEL: 'warn' };
    const server = await spawnServer(join(dir, 'legacy.db'), legacy);
    try {
      expect((await fetch(`${server.base}/health`)).status).toBe(200);
      // Hint: the log is written asynchronously, so the lines may follow the first answer.
      await waitFor(() => variableLines(server.output()).length === 3, 'the three warning lines');
      const lines = variableLines(server.output());
      expect(lines.map((line) => [line.level, line.variable])).toEqual([
        [40, 'DEBUG'],
        [40, 'LOG_FORMAT'],
        [40, 'MAX_QUEUE_SIZE'],
      ]);
      expect(lines[0]?.msg).toMatch(/^DEBUG=true is not read by this server: .* set LOG_LEVEL=debug \(it is warn\)$/);
      expect(lines[1]?.msg).toMatch(
        /^LOG_FORMAT=text is not read by this server: it always writes JSON lines.*pino-pretty/,
      );
      expect(lines[2]?.msg).toMatch(/^MAX_QUEUE_SIZE=10000 is not read by this server.*MAX_PENDING_EVENTS \(100000\)/);
    } finally {
      await killServer(server);
    }
  });

  it('logs none of them when they are unset or blank', async () => {
    const quiet = { DEBUG: '', LOG_FORMAT: '', MAX_QUEUE_SIZE: '', LOG_LEVEL: 'info' };
    const server = await spawnServer(join(dir, 'quiet.db'), quiet);
    try {
      // Hint: the warnings come before the listening line, and lines are written in order, so once it is there
      // they would be too.
      await waitFor(() => server.output().includes('"msg":"event pipeline listening"'), 'the listening line');
      expect(variableLines(server.output())).toEqual([]);
    } finally {
      await killServer(server);
    }
  });
});
