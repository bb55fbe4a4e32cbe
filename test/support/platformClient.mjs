// Test-only child (`node --experimental-websocket`, Node 20): the built SDK on the platform's WebSocket (undici, as
// browsers and Node ≥ 22 have it), never `ws`. Argument: JSON {url, apiKey, publish, subscribe, runMs}. Prints one
// JSON line per outcome ({t, what, …}: t in ms from start) and exits after runMs, or once every asked part settled.
import { Publisher, subscribe } from '../../dist/src/client/index.js';

const { url, apiKey, publish = true, subscribe: follow = true, runMs = 8_000 } = JSON.parse(process.argv[2] ?? '{}');
const started = Date.now();
const say = (what, fields = {}) =>
  process.stdout.write(`${JSON.stringify({ t: Date.now() - started, what, ...fields })}\n`);
if (typeof globalThis.WebSocket !== 'function') say('no platform WebSocket');
let open = (publish ? 1 : 0) + (follow ? 1 : 0);
const settled = () => {
  if (--open === 0) finish();
};
const sub = follow
  ? subscribe({
      url,
      apiKey,
      from: 1,
      onNotice: (notice) => say('sub notice', { kind: notice.kind, message: notice.message }),
      onEvent: (record) => {
        say('sub event', { offset: record.offset });
        settled();
      },
      onError: (error) => {
        say('sub error', { name: error.name, status: error.status, message: error.message });
        settled();
      },
    })
  : null;
const pub = publish
  ? new Publisher({
      url,
      apiKey,
      deliveryTimeoutMs: runMs,
      onNotice: (notice) => say('pub notice', { kind: notice.kind, message: notice.message }),
    })
  : null;
pub?.publish({ event_type: 'timer_tick', source: 'platform_socket', payload: {} }).then(
  (ack) => {
    say('pub acked', { offset: ack.offset });
    settled();
  },
  (error) => {
    say('pub error', { name: error.name, code: error.code, message: error.message });
    settled();
  },
);
const timer = setTimeout(finish, runMs);
async function finish() {
  clearTimeout(timer);
  say('end');
  await sub?.close();
  pub?.destroy();
  process.exit(0);
}
