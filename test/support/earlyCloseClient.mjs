// Test-only child: the built SDK on `ws` (Node 20), let go right after it was started. Argument: JSON {url}. A
// publisher destroyed right after its publish() (first while the SDK still detects its WebSocket class, then once it
// knows it), and subscriptions closed after 0 to 8 ticks of their start; prints `let go` and then leaves the process
// to end by itself, which it does only if nothing was left open.
import { Publisher, subscribe } from '../../dist/src/client/index.js';

const { url } = JSON.parse(process.argv[2] ?? '{}');
const event = { event_type: 'timer_tick', source: 'early_close', payload: {} };
const ticks = (n) => Array.from({ length: n }).reduce((p) => p.then(() => undefined), Promise.resolve());

for (const _ of ['cold', 'warm']) {
  const publisher = new Publisher({ url });
  publisher.publish(event).catch(() => undefined);
  publisher.destroy();
  await import('ws');
  await new Promise((resolve) => setImmediate(resolve));
}
for (let k = 0; k <= 8; k++) {
  const sub = subscribe({ url, from: 'head' });
  await ticks(k);
  await sub.close();
}
process.stdout.write('let go\n');
