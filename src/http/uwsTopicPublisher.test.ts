import type { WebSocket as UwsSocket, us_listen_socket } from 'uWebSockets.js';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadNativeUws } from './uws.js';
import { uwsTopicPublisher, uwsTopicSocket } from './uwsTopicPublisher.js';
import type { Connection } from './wsUpgrade.js';

describe('uwsTopicSocket', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  it('delivers every message published to a topic before the socket leaves it in the same loop turn', async () => {
    const uws = loadNativeUws();
    let server: UwsSocket<Connection> | undefined;
    const app = uws.App().ws<Connection>('/s', {
      open: (ws) => {
        server = ws;
      },
    });
    const listening = await new Promise<us_listen_socket>((resolve, reject) =>
      app.listen('127.0.0.1', 0, (socket) => (socket ? resolve(socket) : reject(new Error('listen failed')))),
    );
    const port = uws.us_socket_local_port(listening);
    cleanups.push(() => uws.us_listen_socket_close(listening));
    const client = new WebSocket(`ws://127.0.0.1:${port}/s`);
    cleanups.push(() => client.terminate());
    const got: string[] = [];
    client.on('message', (data) => got.push(String(data)));
    await new Promise((resolve) => client.once('open', resolve));
    while (server === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    const publisher = uwsTopicPublisher(app);
    const topic = uwsTopicSocket(server, { closed: false }, publisher);
    // uWS sends a socket's topic messages in blocks of 32 and holds the rest until the loop turn ends.
    topic.subscribe('t');
    for (let i = 1; i <= 100; i++) publisher.publish('t', String(i));
    topic.unsubscribe('t');
    publisher.publish('t', 'after');
    const deadline = Date.now() + 5_000;
    while (got.length < 100 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => String(i + 1)));
  });
});
