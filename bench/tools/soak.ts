import WebSocket from 'ws';
import { ServerProcess } from '../lib/serverProcess.js';
import { withTempDir } from '../lib/tempDir.js';

/**
 * A soak: one server child for `seconds` (default 600) under steady mixed traffic, then a check of everything it
 * served. Four producers send arrays of 50 events every 40 ms (about 5,000 events/s, every event with a producer id,
 * 200 sessions, 1,000 users, payloads of 0-200 padding characters), and 13 subscribers (by session, by user, by type,
 * by type and session, firehose; one record per message and batch:true) each reconnect every 30-90 s from the offset
 * after the last one they got, so replay-then-live hand-offs happen all along. Every 30 s it prints the server's RSS
 * and used heap; at the end each subscriber must have received exactly the acked records its filter matches, in
 * offset order, each once, the acked offsets must be dense from 1, and /stats must count them. Usage:
 *   node dist/bench/tools/soak.js [seconds]
 */
const seconds = Number(process.argv[2] ?? 600);
const TYPES = ['quiz_started', 'answer_submitted', 'timer_tick', 'mastery_updated'] as const;

interface SoakEvent {
  readonly id: string;
  readonly event_type: string;
  readonly source: string;
  readonly session_id: string;
  readonly user_id: string;
  readonly payload: Record<string, unknown>;
}

interface Filter {
  readonly session_id?: string;
  readonly user_id?: string;
  readonly event_types?: readonly string[];
  readonly batch?: boolean;
}

interface Ack {
  readonly status: string;
  readonly first_offset?: number;
  readonly offsets?: readonly number[];
}

/** A small seeded generator (producers and subscribers draw from it as their timers fire, so runs differ). */
let seed = 12_345;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed / 0x7fffffff;
}

const acked = new Map<number, SoakEvent>();
const problems: string[] = [];

function soakEvent(conn: number, k: number): SoakEvent {
  return {
    id: `p-${conn}-${k}`,
    event_type: TYPES[k % TYPES.length] ?? 'timer_tick',
    source: 'soak',
    session_id: `s${Math.floor(random() * 200)}`,
    user_id: `u${Math.floor(random() * 1_000)}`,
    payload: { quiz_id: `q${k % 50}`, k, pad: 'x'.repeat(Math.floor(random() * 200)) },
  };
}

/** One producer until `stopAt`; at most 20 arrays unacked. Resolves with how many events it sent. */
function producer(url: string, conn: number, stopAt: number): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const inFlight: SoakEvent[][] = [];
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    ws.on('open', () => {
      timer = setInterval(() => {
        if (Date.now() > stopAt) {
          clearInterval(timer);
          if (inFlight.length === 0) ws.close();
          return;
        }
        if (inFlight.length > 20) return;
        const batch = Array.from({ length: 50 }, () => soakEvent(conn, sent++));
        inFlight.push(batch);
        ws.send(JSON.stringify(batch));
      }, 40);
    });
    ws.on('message', (data) => {
      const ack = JSON.parse(String(data)) as Ack;
      const batch = inFlight.shift() ?? [];
      if (ack.status !== 'ok') problems.push(`producer ${conn}: ${String(data)}`);
      else for (const [i, event] of batch.entries()) acked.set(ack.offsets?.[i] ?? (ack.first_offset ?? 0) + i, event);
      if (Date.now() > stopAt && inFlight.length === 0) ws.close();
    });
    ws.on('error', (error) => problems.push(`producer ${conn}: ${error.message}`));
    ws.on('close', () => {
      clearInterval(timer);
      if (inFlight.length > 0) problems.push(`producer ${conn} closed with ${inFlight.length} arrays unacked`);
      resolve(sent);
    });
  });
}

/** The offsets of the records in one subscriber message (one record, or a batch:true array of them). */
function offsetsIn(message: unknown): number[] {
  const records = Array.isArray(message) ? message : [message];
  return records.flatMap((r: { offset?: unknown; event_type?: unknown }) =>
    typeof r.offset === 'number' && typeof r.event_type === 'string' ? [r.offset] : [],
  );
}

/** One connection of a subscriber, from `from` for `forMs`; appends what it gets to `got`. */
function connection(url: string, filter: Filter, from: number, forMs: number, got: number[]): Promise<void> {
  const name = JSON.stringify(filter);
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => ws.close(), forMs);
    ws.on('open', () => ws.send(JSON.stringify({ ...filter, from_offset: from })));
    ws.on('message', (data) => {
      const message: unknown = JSON.parse(String(data));
      if ((message as { status?: unknown }).status === 'error') problems.push(`${name}: ${String(data)}`);
      for (const offset of offsetsIn(message)) {
        const last = got[got.length - 1];
        if (last !== undefined && offset <= last) problems.push(`${name}: ${offset} after ${last}`);
        got.push(offset);
      }
    });
    ws.on('error', (error) => problems.push(`${name}: ${error.message}`));
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 1000 && code !== 1005) problems.push(`${name}: closed ${code}`);
      resolve();
    });
  });
}

/** A subscriber that reconnects every 30-90 s from after its last record until shortly after `stopAt`. */
async function subscriber(url: string, filter: Filter, stopAt: number, got: number[]): Promise<number> {
  let connections = 0;
  while (Date.now() < stopAt + 3_000) {
    const from = (got[got.length - 1] ?? 0) + 1;
    await connection(url, filter, from, Math.min(30_000 + random() * 60_000, stopAt + 3_000 - Date.now()), got);
    connections++;
  }
  return connections;
}

function matches(filter: Filter, event: SoakEvent): boolean {
  return (
    (filter.session_id === undefined || event.session_id === filter.session_id) &&
    (filter.user_id === undefined || event.user_id === filter.user_id) &&
    (filter.event_types === undefined || filter.event_types.includes(event.event_type))
  );
}

/** Every subscriber got exactly its filter's acked records; the acked offsets are dense; /stats counts them. */
async function verify(server: ServerProcess, filters: readonly Filter[], got: readonly number[][]): Promise<void> {
  // Hint: read before the checks below, which hold the event loop for seconds: a keep-alive socket the server closed
  // meanwhile (uWS after 10 s idle) would otherwise be reused before the client's own idle timer could drop it.
  const stats = (await (await fetch(`${server.baseUrl}/stats`)).json()) as { total_events?: number };
  const offsets = [...acked.keys()].sort((a, b) => a - b);
  const head = offsets[offsets.length - 1] ?? 0;
  if (offsets.length !== head) problems.push(`acked offsets are not dense: ${offsets.length} up to ${head}`);
  if (stats.total_events !== head) problems.push(`/stats counts ${stats.total_events} events, the head is ${head}`);
  filters.forEach((filter, i) => {
    const expected = offsets.filter((o) => {
      const event = acked.get(o);
      return event !== undefined && matches(filter, event);
    });
    const received = got[i] ?? [];
    const exact = expected.length === received.length && expected.every((o, j) => o === received[j]);
    console.log(`${JSON.stringify(filter)}: ${received.length} of ${expected.length}, ${exact ? 'exact' : 'MISMATCH'}`);
    if (!exact) problems.push(`${JSON.stringify(filter)} did not get exactly its records`);
  });
}

async function sample(server: ServerProcess, startedAt: number): Promise<void> {
  const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
  const heap = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1] ?? 0) / 1_048_576;
  const rss = server.rssBytes() / 1_048_576;
  const at = Math.round((Date.now() - startedAt) / 1000);
  console.log(`${at} s: RSS ${rss.toFixed(0)} MiB, heap used ${heap.toFixed(0)} MiB, ${acked.size} events acked`);
}

await withTempDir('soak', async (dir) => {
  const server = await ServerProcess.start({ dir, label: 'soak' });
  try {
    const startedAt = Date.now();
    const stopAt = startedAt + seconds * 1000;
    const filters: Filter[] = [
      { session_id: 's1' },
      { session_id: 's2' },
      { session_id: 's3', batch: true },
      { user_id: 'u7' },
      { user_id: 'u8', batch: true },
      ...TYPES.map((type) => ({ event_types: [type] })),
      { batch: true },
      { batch: true },
      { event_types: ['quiz_started', 'mastery_updated'], session_id: 's4' },
    ];
    const got = filters.map((): number[] => []);
    const subscribers = filters.map((filter, i) => subscriber(`${server.wsUrl}/ws/subscribe`, filter, stopAt, got[i]!));
    const producers = [0, 1, 2, 3].map((conn) => producer(`${server.wsUrl}/ws/publish`, conn, stopAt));
    const sampler = setInterval(() => {
      sample(server, startedAt).catch((error: Error) => problems.push(`sample: ${error.message}`));
    }, 30_000);
    await Promise.all(producers);
    await Promise.all(subscribers);
    clearInterval(sampler);
    await sample(server, startedAt);
    await verify(server, filters, got);
    server.assertAlive();
  } finally {
    await server.stop();
  }
});
console.log(
  problems.length === 0 ? 'no problems' : `${problems.length} problems:\n${problems.slice(0, 20).join('\n')}`,
);
process.exitCode = problems.length === 0 ? 0 : 1;
