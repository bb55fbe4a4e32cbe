import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from './support/testServer.js';

/** The README's WebSocket example: the javascript block that subscribes, then publishes once subscribed. */
function readmeSnippet(): string {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```javascript\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const snippet = blocks.find((block) => block.includes("new WebSocket('ws://localhost:8001/ws/publish')"));
  if (snippet === undefined) throw new Error('README has no javascript block that publishes over /ws/publish');
  return snippet;
}

interface Printed {
  readonly label: string;
  readonly message: Record<string, unknown>;
}

describe("the README's WebSocket example, run as written", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.stop());

  it('prints the ack of its subscription, the two records its filter matches, and two publish acks', async () => {
    const sockets: WebSocket[] = [];
    // Hint: the browser's WebSocket is ws's WHATWG-style API here, pointed at the test server, each socket kept to close.
    class PointedWebSocket extends WebSocket {
      constructor(url: string) {
        super(url.replace('ws://localhost:8001', t.wsBase));
        sockets.push(this);
      }
    }
    const printed: Printed[] = [];
    const done = new Promise<void>((resolve) => {
      const console = {
        log: (label: string, message: Record<string, unknown>) => {
          printed.push({ label, message });
          if (printed.length === 5) resolve();
        },
      };
      new Function('WebSocket', 'console', readmeSnippet())(PointedWebSocket, console);
    });
    await done;
    for (const socket of sockets) socket.close();
    const events = printed.filter((line) => line.label === 'Event:').map((line) => line.message);
    expect(events[0]).toMatchObject({
      status: 'subscribed',
      filters: { event_types: ['quiz_started', 'answer_submitted'], session_id: 'session-123' },
    });
    expect(events.slice(1).map((record) => record.event_type)).toEqual(['quiz_started', 'answer_submitted']);
    const acks = printed.filter((line) => line.label === 'ack').map((line) => line.message);
    expect(acks).toEqual([
      expect.objectContaining({ status: 'ok', ref: 1, offset: events[1]!.offset }),
      expect.objectContaining({ status: 'ok', first_offset: events[2]!.offset }),
    ]);
  });
});
