import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../src/cli/command.js';
import { StatsReply } from '../src/cli/replySchemas.js';
import { getJson } from '../src/cli/restClient.js';
import { cli } from './support/cliRun.js';
import { type ScriptedServer, scriptedServer, wireRecord } from './support/scriptedServer.js';

/** The CLI's REST client against servers that answer badly: it reads what it asked for, bounded, or says why not. */

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const STATS = {
  total_events: 9,
  events_last_hour: 9,
  head_offset: 9,
  first_offset: 1,
  epoch: 'ep1',
  by_type: [],
  router: {},
};

/** The CliError a promise was rejected with, as message and exit code. */
async function failure(promise: Promise<unknown>): Promise<{ message: string; exitCode: number }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof CliError)) throw new Error(`expected a CliError, got ${String(error)}`);
  return { message: error.message, exitCode: error.exitCode };
}

describe('the CLI reading replies of a server that misbehaves', () => {
  it('stops reading a body that passes its cap, and says so (exit 1), instead of buffering it whole', async () => {
    let written = 0;
    server = await scriptedServer({
      rest: (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!response.destroyed && written < 64 * 2 ** 20 && response.write(chunk)) written += chunk.length;
        };
        response.on('drain', pump);
        pump();
      },
    });
    expect(await failure(getJson(server.url, 'stats', undefined, StatsReply, 30_000, 2 ** 20))).toEqual({
      message: `${server.url} answered GET /stats with a body over 1048576 bytes (1 MiB), not read further: no answer of the pipeline is that large (a page of 1,000 records at the default MAX_PAYLOAD_BYTES is about 66 MB)`,
      exitCode: 1,
    });
    expect(written).toBeLessThan(16 * 2 ** 20);
  });

  it('says that a body was not finished in time (exit 3), not that the server did not answer', async () => {
    server = await scriptedServer({
      rest: (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"total_events":');
      },
    });
    expect(await failure(getJson(server.url, 'stats', undefined, StatsReply, 500))).toEqual({
      message: `${server.url} answered GET /stats, but its body was not finished within 0.5 s (16 bytes read)`,
      exitCode: 3,
    });
  });

  it('export --to 5 writes nothing past 5 when the server ignores before_offset, and fails naming it', async () => {
    server = await scriptedServer({
      rest: (request, response) => {
        const url = new URL(request.url ?? '/', 'http://x');
        const after = Number(url.searchParams.get('after_offset') ?? 0);
        const page = url.pathname === '/stats' ? STATS : [1, 2, 3].map((i) => after + i).filter((o) => o <= 9);
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(Array.isArray(page) ? page.map((o) => wireRecord(o)) : page));
      },
    });
    const run = await cli(['export', '--url', server.url, '--from', '1', '--to', '5']);
    const offsets = run.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { offset: number }).offset);
    expect(offsets).toEqual([1, 2, 3]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'GET /events?order=asc&limit=1000&after_offset=3&before_offset=6: record [2] has offset 6, not before 6; the server ignored before_offset (the range ends at 5)',
    );
  });
});
