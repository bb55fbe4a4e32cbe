import type * as Uws from 'uWebSockets.js';
import { createRequire } from 'node:module';
import { serveWorker } from '../lib/workerRuntime.js';

/**
 * The transport ceiling: a tiny uWebSockets.js server in its own process.
 * - "echo": every WebSocket message is sent straight back; every HTTP POST body is echoed with 201.
 * - "relay": speaks just enough of /ws/publish and /ws/subscribe (offsets, acks, session topics, a firehose) to
 *   route without any log, actors or commit, so the same fan-out clients measure the transport's latency floor.
 */
const require = createRequire(import.meta.url);
const uws = require('uWebSockets.js') as typeof Uws;

interface SubscriberData {
  configured: boolean;
}

let listenSocket: Uws.us_listen_socket | null = null;

function echoApp(): Uws.TemplatedApp {
  const app = uws.App();
  app.ws('/*', {
    maxPayloadLength: 64 * 1024 * 1024,
    maxBackpressure: 64 * 1024 * 1024,
    idleTimeout: 120,
    message: (ws, message, isBinary) => void ws.send(message, isBinary, false),
  });
  app.post('/*', (res) => {
    let aborted = false;
    const chunks: Buffer[] = [];
    res.onAborted(() => (aborted = true));
    res.onData((chunk, isLast) => {
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast && !aborted) {
        const body = Buffer.concat(chunks);
        res.cork(() => res.writeStatus('201 Created').writeHeader('Content-Type', 'application/json').end(body));
      }
    });
  });
  app.get('/*', (res) => void res.end('ok'));
  return app;
}

function relayApp(): Uws.TemplatedApp {
  const app = uws.App();
  const decoder = new TextDecoder();
  let offset = 0;
  app.ws<SubscriberData>('/ws/subscribe', {
    maxPayloadLength: 1024 * 1024,
    maxBackpressure: 64 * 1024 * 1024,
    idleTimeout: 120,
    upgrade: (res, req, context) =>
      res.upgrade<SubscriberData>(
        { configured: false },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      ),
    message: (ws, message) => {
      const data = ws.getUserData();
      if (data.configured) return;
      const config = JSON.parse(decoder.decode(message)) as { session_id?: string; batch?: boolean };
      data.configured = true;
      ws.subscribe(
        config.session_id !== undefined ? `s/${config.session_id}` : config.batch === true ? 'all/batch' : 'all/one',
      );
      ws.send(JSON.stringify({ status: 'subscribed', subscriber_id: 'relay', head_offset: offset }), false, false);
    },
  });
  app.ws('/ws/publish', {
    maxPayloadLength: 16 * 1024 * 1024,
    maxBackpressure: 64 * 1024 * 1024,
    idleTimeout: 120,
    message: (ws, message) => {
      const parsed = JSON.parse(decoder.decode(message)) as unknown;
      const events = (Array.isArray(parsed) ? parsed : [parsed]) as {
        event_type: string;
        source: string;
        session_id: string;
        user_id: string;
        payload: unknown;
      }[];
      const first = offset + 1;
      const timestamp = new Date().toISOString();
      const records: string[] = [];
      for (const event of events) {
        offset++;
        const record =
          `{"id":"relay_${offset}","offset":${offset},"event_type":"${event.event_type}","source":"${event.source}",` +
          `"session_id":${JSON.stringify(event.session_id)},"user_id":${JSON.stringify(event.user_id)},"payload":${JSON.stringify(event.payload)},"timestamp":"${timestamp}"}`;
        records.push(record);
        app.publish(`s/${event.session_id}`, record, false, false);
        app.publish('all/one', record, false, false);
      }
      app.publish('all/batch', `[${records.join(',')}]`, false, false);
      ws.send(`{"status":"ok","count":${events.length},"first_offset":${first},"last_offset":${offset}}`, false, false);
    },
  });
  app.get('/*', (res) => void res.end('ok'));
  return app;
}

serveWorker(
  {
    listen: (message) =>
      new Promise((resolve, reject) => {
        const app = message.mode === 'relay' ? relayApp() : echoApp();
        app.listen('127.0.0.1', 0, (socket) => {
          if (!socket) {
            reject(new Error('uWS echo server could not listen'));
            return;
          }
          listenSocket = socket;
          // Hint: src/http/uws.ts declares the listen-socket overload the native binding has.
          resolve({ type: 'listening', port: uws.us_socket_local_port(socket) });
        });
      }),
  },
  () => {
    if (listenSocket !== null) uws.us_listen_socket_close(listenSocket);
  },
);
