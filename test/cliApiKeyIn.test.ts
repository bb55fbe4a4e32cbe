import { afterEach, describe, expect, it } from 'vitest';
import { cli } from './support/cliRun.js';
import { cleanAck, type FakePublishServer, fakePublishServer } from './support/fakePublishServer.js';

// The CLI against a server of this project from before 2026-12-04 23:01 with REQUIRE_AUTH=true, which reads the
// WebSocket's key only from `?api_key=` (the SDK sends it in Sec-WebSocket-Protocol): --api-key-in query reaches it,
// and the refusal without it says so.

const KEY = 'old-server-key';
const HINT =
  'a server of this project older than 2026-12-04 23:01 UTC reads the key only from ?api_key= (--api-key-in query)';
const PUBLISH = ['publish', '--type', 'quiz_started', '--source', 'quiz_engine'];
const IMPORT_LINE = `${JSON.stringify({ id: 'evt_1', event_type: 'quiz_started', source: 'quiz_engine', offset: 1 })}\n`;

let server: FakePublishServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const olderServer = async (): Promise<FakePublishServer> =>
  (server = await fakePublishServer((message) => cleanAck(message, 1), { keyOnlyInQuery: KEY }));

describe('--api-key-in against a server that reads the key only from the query', () => {
  it('publish and import reach it with --api-key-in query (or API_KEY_IN=query)', async () => {
    const { url } = await olderServer();
    const published = await cli([...PUBLISH, '--url', url, '--api-key', KEY, '--api-key-in', 'query']);
    expect(published).toEqual({ code: 0, stdout: '', stderr: 'published 1 event(s), offsets 1–1\n' });
    const imported = await cli(['import', '--url', url, '--api-key', KEY], IMPORT_LINE, { API_KEY_IN: 'query' });
    expect(imported).toEqual({ code: 0, stdout: '', stderr: 'imported 1 record(s), offsets 1–1\n' });
    expect(server?.received).toHaveLength(2);
  });

  it('names the option in the refusal of a key sent in the protocol (publish, import, tail --follow: exit 4)', async () => {
    const { url } = await olderServer();
    const published = await cli([...PUBLISH, '--url', url, '--api-key', KEY]);
    expect(published.code).toBe(4);
    expect(published.stderr).toContain(
      `line 1: the API key was refused (401: Invalid or missing API key) by an answer not marked as the pipeline's (no X-Upgrade-Refusal); ${HINT}\n`,
    );
    const imported = await cli(['import', '--url', url], IMPORT_LINE, { API_KEY: KEY, API_KEY_IN: 'protocol' });
    expect(imported.code).toBe(4);
    expect(imported.stderr).toContain(HINT);
    const tail = await cli(['tail', '--follow', '--url', url, '--api-key', KEY]);
    expect(tail).toEqual({
      code: 4,
      stdout: '',
      stderr: `tail: /ws/subscribe: the API key was refused (401: Invalid or missing API key) by an answer not marked as the pipeline's (no X-Upgrade-Refusal); ${HINT}\n`,
    });
    expect(server?.received).toEqual([]);
  });

  it('gives no such hint for a key that went in the query, or for no key at all', async () => {
    const { url } = await olderServer();
    const wrong = await cli([...PUBLISH, '--url', url, '--api-key', 'other', '--api-key-in', 'query']);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('the API key was refused (401: Invalid or missing API key)');
    expect(wrong.stderr).not.toContain('api-key-in');
    const none = await cli([...PUBLISH, '--url', url]);
    expect(none.code).toBe(4);
    expect(none.stderr).not.toContain('api-key-in');
  });
});

describe('--api-key-in as an option', () => {
  it('is a usage error naming where a value other than protocol or query came from (exit 2)', async () => {
    const flag = await cli([...PUBLISH, '--api-key-in', 'header']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^publish: --api-key-in: expected protocol or query, got "header"\n/);
    const env = await cli(['tail', '--follow'], '', { API_KEY_IN: 'Query' });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/^tail: API_KEY_IN: expected protocol or query, got "Query"\n/);
  });

  it('is in the help of publish, import and tail, and nowhere it would do nothing', async () => {
    for (const command of ['publish', 'import', 'tail']) {
      const help = await cli([command, '--help']);
      expect(help.stdout, command).toContain('--api-key-in protocol|query');
    }
    for (const command of ['stats', 'sessions', 'export']) {
      const run = await cli([command, '--api-key-in', 'query']);
      expect(run.code, command).toBe(2);
      expect(run.stderr, command).toContain("Unknown option '--api-key-in'");
    }
  });
});
