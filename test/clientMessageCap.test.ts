import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type PublishEvent, Publisher, PublishRejectedError, type WebSocketConstructor } from '../src/client/index.js';
import { uwsMaxPayload } from '../src/http/wsApi.js';
import { DEFAULT_WS_MESSAGE_CAP_BYTES } from '../src/protocol/wsPublishLimits.js';
import { startTestServer, type TestServer } from './support/testServer.js';

let t: TestServer | undefined;

afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** Events of about 60 KB each (a default server takes payloads up to 64 KiB): `count` of them make one unit. */
const events = (count: number, tag: string): PublishEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    event_type: 'timer_tick' as const,
    source: 'sdk_cap_test',
    session_id: tag,
    payload: { i, blob: 'x'.repeat(60_000) },
  }));

/** A `ws` socket class that counts the sockets made and the messages sent through them. */
function countingSocket(): { Socket: WebSocketConstructor; opened: () => number; sent: string[] } {
  let made = 0;
  const sent: string[] = [];
  class Socket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      made++;
    }
    override send(data: string): void {
      sent.push(data);
      super.send(data);
    }
  }
  return { Socket, opened: () => made, sent };
}

describe("Publisher and a real server's per-message cap", () => {
  it('refuses a 4 MiB unit at once against a default server, sending nothing, and publishes after it', async () => {
    t = await startTestServer();
    // The SDK's default is the default server's cap: past it uWS closes the connection (1006) with no reply.
    expect(uwsMaxPayload(t.config)).toBe(DEFAULT_WS_MESSAGE_CAP_BYTES);
    const { Socket, opened, sent } = countingSocket();
    const publisher = new Publisher({ url: t.base, WebSocket: Socket, deliveryTimeoutMs: 10_000 });
    const started = Date.now();
    const outcome = await publisher.publishBatch(events(70, 'big')).catch((error: unknown) => error);
    // Before, it was sent, closed with 1006, and resent on new connections until deliveryTimeoutMs.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(outcome).toBeInstanceOf(RangeError);
    expect((outcome as RangeError).message).toMatch(
      /^batch of 70 events is 42\d{5} bytes as a message \(4\.0 MiB\), over maxMessageBytes \(3355443 bytes, 3\.2 MiB: the default, a server's cap at its defaults\); .*: publish it in smaller batches, or, for a server whose MAX_WS_MESSAGE_BYTES is at least that size, set maxMessageBytes to it$/,
    );
    expect(opened()).toBe(0);
    expect(publisher.inFlight).toBe(0);
    const ack = await publisher.publish(events(1, 'after')[0]!);
    expect(ack.offset).toBe(1);
    await publisher.close();
    expect(opened()).toBe(1);
    expect(sent).toHaveLength(1);
  });

  it('still gets the server\'s "too large" answer for a unit between MAX_WS_MESSAGE_BYTES and the cap, on the same connection', async () => {
    t = await startTestServer();
    const { Socket, opened } = countingSocket();
    const publisher = new Publisher({ url: t.base, WebSocket: Socket, deliveryTimeoutMs: 10_000 });
    // 35 events of 60 KB: about 2 MiB, over the 1 MiB MAX_WS_MESSAGE_BYTES and under the 3.2 MiB cap.
    const outcome = await publisher.publishBatch(events(35, 'mid')).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(PublishRejectedError);
    expect((outcome as PublishRejectedError).message).toMatch(
      /^message: is 21\d{5} bytes; at most 1048576 allowed \(MAX_WS_MESSAGE_BYTES\): too large/,
    );
    expect((await publisher.publish(events(1, 'after')[0]!)).offset).toBe(1);
    await publisher.close();
    expect(opened()).toBe(1);
  });

  it('publishes a 4 MiB unit to a server whose MAX_WS_MESSAGE_BYTES is 8 MiB, with maxMessageBytes raised to match', async () => {
    const eight = String(8 * 1024 * 1024);
    t = await startTestServer({ MAX_WS_MESSAGE_BYTES: eight });
    expect(uwsMaxPayload(t.config)).toBe(Number(eight));
    const publisher = new Publisher({ url: t.base, maxMessageBytes: Number(eight), deliveryTimeoutMs: 30_000 });
    const acks = await publisher.publishBatch(events(70, 'big'));
    expect(acks.map((a) => a.offset)).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
    await publisher.close();
  });
});
