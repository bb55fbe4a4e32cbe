import { Publisher } from '../../src/client/index.js';
import type { WebSocketLike } from '../../src/client/webSocket.js';

/**
 * Diagnosis: CPU per `publish()` of the SDK in one process, without a server: a fake socket acks each message on the
 * next turn (its JSON work is in the figure too, the same for any build). `node dist/bench/tools/sdkPublishCost.js`;
 * run it in two worktrees, alternately, to compare builds (sdk-publish's client figure moves by a µs between runs).
 */
const EVENTS = 300_000;
const WAVE = 5_000;
let offset = 0;

type Handler<T> = ((event: T) => void) | null;

/** Opens on the next turn and acks every message there, with consecutive offsets. */
class AckingSocket implements WebSocketLike {
  readyState = 0;
  readonly bufferedAmount = 0;
  onopen: Handler<unknown> = null;
  onmessage: Handler<{ readonly data: unknown }> = null;
  onclose: Handler<{ readonly code: number; readonly reason: string }> = null;
  onerror: Handler<unknown> = null;

  constructor() {
    setImmediate(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }

  send(text: string): void {
    const message = JSON.parse(text) as { ref: number; events: { id: string }[] };
    const ids = message.events.map((e) => e.id);
    const first = offset + 1;
    offset += ids.length;
    const ack = { status: 'ok', ref: message.ref, count: ids.length, event_ids: ids, first_offset: first };
    const data = JSON.stringify({ ...ack, last_offset: offset, duplicates: 0 });
    setImmediate(() => this.onmessage?.({ data }));
  }

  close(): void {}
}

const event = (i: number) => ({
  event_type: 'answer_submitted' as const,
  source: 'bench',
  session_id: `s${i % 1_000}`,
  user_id: `u${i % 5_000}`,
  payload: { q: i % 10, correct: true },
});

const publisher = new Publisher({ url: 'ws://127.0.0.1:1', WebSocket: AckingSocket });
for (let round = 1; round <= 2; round++) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let wave: Promise<unknown>[] = [];
  for (let i = 0; i < EVENTS; i++) {
    wave.push(publisher.publish(event(i)));
    if (wave.length === WAVE) {
      await Promise.all(wave);
      wave = [];
    }
  }
  await Promise.all(wave);
  const used = process.cpuUsage(cpu);
  const rate = (EVENTS * 1_000) / (performance.now() - started);
  // Hint: the first round warms the JIT; compare second rounds.
  console.log(
    `round ${round}: ${((used.user + used.system) / EVENTS).toFixed(2)} µs of CPU per event, ${rate.toFixed(0)} events/s`,
  );
}
await publisher.close();
