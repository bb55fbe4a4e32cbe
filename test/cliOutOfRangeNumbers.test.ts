import { describe, expect, it } from 'vitest';
import { cli, cliServers } from './support/cliRun.js';

const { server } = cliServers('cli-numbers-');

const LOSSY = '{"id":12345678901234567891}';
const BEYOND = '{"a":1e400}';

/** The server's own reason (422 `detail[0].msg`) for an event holding `payload` as written. */
async function serverSays(base: string, payload: string): Promise<string> {
  const body = `{"event_type":"timer_tick","source":"numbers","payload":${payload}}`;
  const answer = await fetch(`${base}/events`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  expect(answer.status).toBe(422);
  return ((await answer.json()) as { detail: { msg: string }[] }).detail[0]?.msg ?? '';
}

describe('numbers a JSON number here cannot carry, given to the CLI', () => {
  it('--payload: a usage error (exit 2) naming payload.<field> in the server’s words, for both kinds', async () => {
    const s = await server('flags');
    for (const payload of [LOSSY, BEYOND]) {
      const run = await cli(['publish', '--type', 'timer_tick', '--source', 'numbers', '--payload', payload], '', {
        PIPELINE_URL: s.base,
      });
      // Before: `--payload: id: is the integer …` (exit 2) and, for 1e400, `line 1: event cannot be sent as JSON:
      // payload.a is Infinity, which JSON would send as null` (exit 1): another field name, words and exit code.
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.split('\n')[0]).toBe(`publish: --payload: ${await serverSays(s.base, payload)}`);
    }
    expect(((await (await fetch(`${s.base}/stats`)).json()) as { head_offset: number }).head_offset).toBe(0);
  });

  it('an NDJSON line: a failed line (exit 1) naming payload.<field> in the server’s words, for both kinds', async () => {
    const s = await server('lines');
    const line = (payload: string) => `{"event_type":"timer_tick","source":"numbers","payload":${payload}}\n`;
    const run = await cli(['publish', '--url', s.base], line(LOSSY) + line(BEYOND) + line('{"a":1}'));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`line 1: ${await serverSays(s.base, LOSSY)}\n`);
    expect(run.stderr).toContain(`line 2: ${await serverSays(s.base, BEYOND)}\n`);
    expect(run.stderr).toContain('published 1 event(s), offsets 1–1; 2 failed');
  });
});
