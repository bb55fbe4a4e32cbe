import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { UPGRADE_REFUSAL_HEADER, UPGRADE_REFUSAL_MARK } from '../../src/protocol/upgradeRefusal.js';

/** A `/ws/publish` message as the SDK sends it. */
export interface SentMessage {
  readonly ref: number;
  readonly events: ReadonlyArray<{ readonly id: string }>;
}

/** What a fake pipeline answers a message with: a frame's text, or null for none. */
export type Answer = (message: SentMessage) => string | null;

/** A fake pipeline: its base URL, every message its `/ws/publish` received, its answer (settable) and its stop. */
export interface FakePublishServer {
  url: string;
  readonly received: SentMessage[];
  answer: Answer;
  close(): Promise<void>;
}

/** An older server's refusal of the key (its body; no X-Upgrade-Refusal). */
const OLD_REFUSAL = JSON.stringify({ detail: 'Invalid or missing API key' });

/** A pipeline's /stats body, so that the CLI's first request finds one. */
const STATS = {
  total_events: 0,
  events_last_hour: 0,
  head_offset: 0,
  first_offset: 0,
  epoch: 'e1',
  by_type: [],
  router: {},
};

/**
 * The key check of a server of this project from before 2026-12-04 23:01 (5e7bc6a) with REQUIRE_AUTH=true: it reads
 * the key only from `?api_key=` and refuses any other upgrade with a 401 not marked X-Upgrade-Refusal.
 */
export interface KeyOnlyInQuery {
  readonly keyOnlyInQuery: string;
}

/** Whether `url` carries `key` as its `api_key` query parameter. */
function queryKeyIs(url: string | undefined, key: string): boolean {
  return new URL(url ?? '/', 'http://fake').searchParams.get('api_key') === key;
}

/**
 * A server on an ephemeral 127.0.0.1 port that answers GET /stats as a pipeline and each `/ws/publish` message with
 * `answer` (a misbehaving server, or a proxy that mangles replies); with `refuseUpgrade` a status, it answers every
 * WebSocket upgrade with that HTTP status instead (a key only the WebSocket checks); with KeyOnlyInQuery, every upgrade
 * without that key in its query.
 */
export async function fakePublishServer(
  answer: Answer,
  refuseUpgrade?: number | KeyOnlyInQuery,
): Promise<FakePublishServer> {
  const server = createServer((req, res) => {
    const stats = req.url?.startsWith('/stats') === true;
    res.writeHead(stats ? 200 : 404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(stats ? STATS : { detail: 'Not Found' }));
  });
  const wss = new WebSocketServer({ noServer: true });
  const fake: FakePublishServer = {
    url: '',
    received: [],
    answer,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  server.on('upgrade', (req, socket, head) => {
    if (typeof refuseUpgrade === 'object' && !queryKeyIs(req.url, refuseUpgrade.keyOnlyInQuery))
      return void socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${OLD_REFUSAL.length}\r\nConnection: close\r\n\r\n${OLD_REFUSAL}`,
      );
    // Hint: marked as the pipeline marks its own refusals; an unmarked one is a proxy's, retried once connected.
    if (typeof refuseUpgrade === 'number')
      return void socket.end(
        `HTTP/1.1 ${refuseUpgrade} Refused\r\n${UPGRADE_REFUSAL_HEADER}: ${UPGRADE_REFUSAL_MARK}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
    wss.handleUpgrade(req, socket, head, (ws) =>
      ws.on('message', (data) => {
        const message = JSON.parse(data.toString()) as SentMessage;
        fake.received.push(message);
        const text = fake.answer(message);
        if (text !== null) ws.send(text);
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** A clean ack of `message` with its events at `first`, `first + 1`, … */
export function cleanAck(message: SentMessage, first: number): string {
  const ids = message.events.map((event) => event.id);
  const last = first + ids.length - 1;
  return JSON.stringify({
    status: 'ok',
    count: ids.length,
    event_ids: ids,
    first_offset: first,
    last_offset: last,
    ref: message.ref,
  });
}
