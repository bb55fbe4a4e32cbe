import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type InspectableChild, startInspectableChild } from './support/inspectableChild.js';

const READERS = 10;
const BATCHES = 30;
const PER_BATCH = 10;
const PAD = 'x'.repeat(60_000);
const PAGE_BYTES = 1 << 20;

/** A GET of the whole log that stops reading once the first bytes of its answer arrive (the server is then waiting). */
function stalledReader(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () =>
      socket.write('GET /events?limit=1000&order=asc HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    socket.once('data', () => {
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

describe('a chunked GET /events whose client stops reading', () => {
  let child: InspectableChild | undefined;
  let dir: string | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await child?.stop();
    child = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  // Hint: uWS keeps its own copy of what it could not send yet; the reply's piece of JSON (the first is 100 records,
  // 6 MB here) must not stay alive in JavaScript too while the client does not read.
  it('keeps no piece of the answer in the heap while it waits for the client', async () => {
    dir = mkdtempSync(join(tmpdir(), 'stalled-reader-'));
    child = await startInspectableChild({ DATABASE_PATH: join(dir, 'events.db') });
    for (let b = 0; b < BATCHES; b++) {
      const events = Array.from({ length: PER_BATCH }, () => ({
        event_type: 'timer_tick',
        source: 'stall',
        session_id: 's',
        payload: { pad: PAD },
      }));
      const res = await fetch(`${child.base}/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(events),
      });
      expect(res.status).toBe(201);
    }
    const port = Number(new URL(child.base).port);
    // A first reader warms the code paths, so the baseline is the working heap.
    sockets.push(await stalledReader(port));
    const baseline = await child.heapUsed();
    for (let r = 0; r < READERS; r++) sockets.push(await stalledReader(port));
    const grown = (await child.heapUsed()) - baseline;
    // Each reader held its first piece (6 MB) before; what a waiting reply needs is far under half a page.
    expect(grown).toBeLessThan((READERS * PAGE_BYTES) / 2);
  });
});
