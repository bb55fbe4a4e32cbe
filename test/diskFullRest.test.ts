import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { fill, mountTmpfs, unmount } from './support/smallDisk.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const mountable = mountTmpfs('1m');
unmount(mountable);

const event = (session: string, i: number) => ({
  event_type: 'answer_submitted',
  source: 'probe',
  session_id: session,
  user_id: `u${i}`,
  payload: { answer: 'B' },
});

async function publish(base: string, events: readonly object[]): Promise<void> {
  const response = await fetch(`${base}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(response.status).toBe(201);
}

describe.runIf(mountable !== null)('REST reads and retention on a full log disk', () => {
  const disk = mountTmpfs('2m');
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.close();
    unmount(disk);
  });

  it('answers GET /sessions and GET /sessions/{session_id} (no 500) when the status rows cannot be saved', async () => {
    server = await startTestServer({}, {}, disk!);
    await publish(server.base, [event('s-1', 1), event('s-2', 2), event('s-1', 3)]);
    await server.close();
    server = await startTestServer({}, {}, disk!);
    // Hint: the rows of this run's folds wait to be saved when the disk fills.
    await publish(server.base, [event('s-3', 4), event('s-1', 5)]);
    const filler = fill(disk!);
    try {
      const listing = await fetch(`${server.base}/sessions`);
      const body = await listing.text();
      expect(listing.status, body).toBe(200);
      const ids = (JSON.parse(body) as { session_id: string }[]).map((s) => s.session_id);
      expect(ids).toContain('s-1');
      const one = await fetch(`${server.base}/sessions/s-3`);
      expect(one.status, await one.clone().text()).toBe(200);
      expect(((await one.json()) as { event_count: number }).event_count).toBe(1);
    } finally {
      rmSync(filler, { force: true });
    }
  });

  it('answers DELETE /events with 503 and Retry-After, deleting nothing, when the disk is full (not a 500)', async () => {
    const padded = (i: number) => ({ ...event(`r-${i % 5}`, i), payload: { pad: 'x'.repeat(2000) } });
    await publish(
      server!.base,
      Array.from({ length: 200 }, (_, i) => padded(i)),
    );
    const before = (await (await fetch(`${server!.base}/stats`)).json()) as { total_events: number };
    const filler = fill(disk!);
    try {
      const response = await fetch(`${server!.base}/events`, { method: 'DELETE' });
      const body = await response.text();
      expect(response.status, body).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(body).toContain('the disk is full');
      const after = (await (await fetch(`${server!.base}/stats`)).json()) as { total_events: number };
      expect(after.total_events).toBe(before.total_events);
    } finally {
      rmSync(filler, { force: true });
    }
    const retried = await fetch(`${server!.base}/events`, { method: 'DELETE' });
    expect(await retried.json()).toEqual({ deleted: before.total_events });
  });

  it('lists a session whose row a full disk kept from being saved, once there is room again (no restart)', async () => {
    await publish(server!.base, [event('late-1', 1)]);
    const filler = fill(disk!);
    try {
      expect((await fetch(`${server!.base}/sessions`)).status).toBe(200);
    } finally {
      rmSync(filler, { force: true });
    }
    await publish(server!.base, [event('late-2', 2)]);
    const listed = (await (await fetch(`${server!.base}/sessions`)).json()) as { session_id: string }[];
    expect(listed.map((s) => s.session_id)).toEqual(expect.arrayContaining(['late-1', 'late-2']));
  });
});
