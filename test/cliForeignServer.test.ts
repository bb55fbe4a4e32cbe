import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../src/cli/command.js';
import { StatsReply } from '../src/cli/replySchemas.js';
import { getJson } from '../src/cli/restClient.js';
import { cli } from './support/cliRun.js';

/** What `event-pipeline` does when --url points at something that is not a working pipeline. */

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A plain HTTP server on an ephemeral port answering with `handler`; resolves with its base URL. */
async function fake(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const STATS = {
  total_events: 3,
  events_last_hour: 3,
  head_offset: 3,
  first_offset: 1,
  epoch: 'e1',
  by_type: [],
  router: {},
};

function record(offset: number): Record<string, unknown> {
  return {
    id: `evt_${offset}`,
    offset,
    event_type: 'timer_tick',
    source: 'fake',
    session_id: null,
    user_id: null,
    payload: {},
    timestamp: '2026-12-04T00:00:00.000Z',
  };
}

function json(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

describe('the CLI against a server that is not a working pipeline', () => {
  it('names the request and says the body is not JSON, with its Content-Type, for an HTML page (exit 1)', async () => {
    const url = await fake((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html><body>Welcome to nginx!</body></html>');
    });
    for (const command of ['stats', 'sessions', 'tail', 'export']) {
      const run = await cli([command, '--url', url]);
      expect(run.code, command).toBe(1);
      expect(run.stderr).toMatch(
        /did not answer as an event pipeline: the body is not JSON \(Content-Type text\/html\)/,
      );
      expect(run.stderr).toContain('Welcome to nginx!');
    }
  });

  it('names the missing or wrong fields of a JSON reply of another shape (exit 1), never a TypeError', async () => {
    const url = await fake((req, res) =>
      json(res, req.url?.startsWith('/sessions') ? { items: [] } : { hello: 'world', head_offset: 'x' }),
    );
    const stats = await cli(['stats', '--url', url]);
    expect(stats.code).toBe(1);
    expect(stats.stderr).toContain('(GET /stats) did not answer as an event pipeline: total_events: field required');
    const sessions = await cli(['sessions', '--url', url]);
    expect(sessions.code).toBe(1);
    expect(sessions.stderr).toContain('(GET /sessions) did not answer as an event pipeline: body: Invalid type');
    for (const run of [stats, sessions]) expect(run.stderr).not.toMatch(/TypeError|Cannot read|not iterable/);
  });

  it('export and tail stop with an error naming the record when pages do not move forward, instead of looping', async () => {
    let eventRequests = 0;
    const url = await fake((req, res) => {
      if (req.url?.startsWith('/stats')) return json(res, STATS);
      // Hint: the code before the check asked for this page again forever; after 50 the answer is an error instead,
      // so such code fails this test rather than hanging it.
      if (++eventRequests > 50) return json(res, { detail: 'asked 50 times' }, 500);
      return json(res, [record(1), record(2), record(2)]);
    });
    const exported = await cli(['export', '--url', url]);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toContain('record [2] has offset 2, not after 2');
    expect(eventRequests).toBe(1);
    const tailed = await cli(['tail', '--from', '1', '--url', url]);
    expect(tailed.code).toBe(1);
    expect(tailed.stderr).toContain('record [2] has offset 2, not after 2');
  });

  it('does not follow a redirect (which would carry the API key elsewhere) and names where it pointed', async () => {
    const seenKeys: (string | undefined)[] = [];
    const elsewhere = await fake((req, res) => {
      seenKeys.push(req.headers['x-api-key'] as string | undefined);
      json(res, STATS);
    });
    const url = await fake((_req, res) => {
      res.writeHead(302, { Location: `${elsewhere}/stats` });
      res.end();
    });
    const run = await cli(['stats', '--url', url, '--api-key', 'secret-key']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`answered GET /stats with 302, a redirect to ${elsewhere}/stats`);
    expect(seenKeys).toEqual([]);
  });

  it('gives up on a server that accepts the connection and never answers, as unreachable (exit 3)', async () => {
    const url = await fake(() => {
      // never answers
    });
    const failure = await getJson(url, 'stats', undefined, StatsReply, 200).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CliError);
    expect((failure as CliError).exitCode).toBe(3);
    expect((failure as CliError).message).toBe(`cannot reach ${url}: no answer to GET /stats within 0.2 s`);
  });

  it("cuts another server's error page to a short excerpt, and names the CLI's --url, not the SDK's url option", async () => {
    const page = `<html><head><title>404 Not Found</title></head><body>${'<p>nothing here</p>'.repeat(200)}</body></html>`;
    const url = await fake((req, res) => {
      if (req.url === '/stats') return json(res, STATS);
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end(page);
    });
    const published = await cli(['publish', '--url', url], '{"event_type":"timer_tick","source":"x"}\n');
    expect(published.code).toBe(1);
    expect(published.stderr).toContain('check --url');
    expect(published.stderr).not.toContain('url option');
    const missing = await cli(['sessions', '--url', url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^sessions: 404 from \/sessions: <html><head><title>404 Not Found<\/title>.{0,100}…\n$/,
    );
  });

  it('names a tail -n request without filters as sent, with no stray &', async () => {
    const url = await fake((req, res) =>
      req.url?.startsWith('/stats') ? json(res, STATS) : json(res, [record(2), record(2)]),
    );
    const run = await cli(['tail', '--url', url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('GET /events?order=desc&limit=10: record [1] has offset 2, not before 2');
  });
});
