import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

/** A fake pipeline on 127.0.0.1 that plays a script: for tests of what the client makes of a server's answers. */
export interface ScriptedServer {
  /** The base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Each /ws/subscribe connection's subscribe message, parsed, in order. */
  readonly requests: Record<string, unknown>[];
  /** Connections made to the server (upgrades asked for, answered or not). */
  readonly upgrades: Duplex[];
  /** Stop: terminate every socket and close the server. */
  close(): Promise<void>;
}

export interface Script {
  /** Called with each connection's subscribe message; `n` counts connections from 1. */
  readonly onSubscribe?: (ws: WebSocket, request: Record<string, unknown>, n: number) => void;
  /** A REST answer; the default is 404. */
  readonly rest?: (request: http.IncomingMessage, response: http.ServerResponse) => void;
  /** Never answer an upgrade (a server or proxy that hangs). */
  readonly hangUpgrades?: boolean;
}

/** A record as the server sends one. */
export const wireRecord = (offset: number, extra: Record<string, unknown> = {}) => ({
  id: `e${offset}`,
  offset,
  event_type: 'quiz_started',
  source: 'quiz_engine',
  session_id: 's1',
  user_id: null,
  payload: {},
  timestamp: '2026-12-01T00:00:00.000Z',
  ...extra,
});

/** A subscribe ack (head 0, epoch `ep1`), `extra` added or overriding. */
export const wireAck = (extra: Record<string, unknown> = {}) => ({
  status: 'subscribed',
  subscriber_id: 'sub_1',
  filters: {},
  head_offset: 0,
  epoch: 'ep1',
  ...extra,
});

/** Start a scripted server on an ephemeral port. */
export async function scriptedServer(script: Script): Promise<ScriptedServer> {
  const requests: Record<string, unknown>[] = [];
  const upgrades: Duplex[] = [];
  const server = http.createServer((request, response) => {
    if (script.rest !== undefined) return script.rest(request, response);
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    upgrades.push(socket);
    socket.on('error', () => undefined);
    if (script.hangUpgrades === true) return;
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', () => undefined);
      ws.once('message', (data) => {
        const parsed = JSON.parse(String(data)) as Record<string, unknown>;
        requests.push(parsed);
        script.onSubscribe?.(ws, parsed, requests.length);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    upgrades,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const socket of upgrades) socket.destroy();
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
