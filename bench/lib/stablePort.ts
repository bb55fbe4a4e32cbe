import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The kernel's ephemeral port range (Linux), where outgoing connections and listen(0) take their local ports. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && low > 0 && high >= low) return [low, high];
  } catch {
    // not Linux: the usual default below
  }
  return [32_768, 60_999];
}

/** True when `port` can be bound on 127.0.0.1 now (the probe is closed again before this resolves). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Ports this process handed out, so it never hands one out twice while another may still be starting on it. */
const handedOut = new Set<number>();
const SLICES = 8;
const FLOOR = 10_000;

/**
 * A free port below the kernel's ephemeral range, for a child process to listen on. Hint: a port the kernel picks
 * (listen(0), then closed) can be picked again at once for another test's in-process server, or become the local
 * port of an outgoing connection, before the child binds it: CI saw a restart fail with "bind: address already in
 * use", and a child test's requests answered by another file's server. Below the range the kernel hands out nothing;
 * each vitest worker (VITEST_POOL_ID) draws from a slice of its own, and a process never reuses a port it gave out.
 */
export async function stablePort(): Promise<number> {
  const [low] = ephemeralRange();
  const pool = Number(process.env.VITEST_POOL_ID);
  const span = Math.floor((low - FLOOR) / SLICES);
  const [from, size] =
    Number.isInteger(pool) && pool >= 1 && span >= 500
      ? [FLOOR + ((pool - 1) % SLICES) * span, span]
      : [FLOOR, low - FLOOR];
  for (let attempt = 0; size >= 500 && attempt < 100; attempt++) {
    const port = from + Math.floor(Math.random() * size);
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found in ${from}-${from + size - 1} below the ephemeral range`);
}
