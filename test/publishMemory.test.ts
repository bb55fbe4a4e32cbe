import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type InspectableChild, startInspectableChild } from './support/inspectableChild.js';
import { stats } from './support/pipelineRest.js';
import { WsClient } from './support/wsClient.js';

const MESSAGES = 40;
const EVENTS_PER_MESSAGE = 100;
const SESSIONS_PER_MESSAGE = 10;
const PAD_CHARS = 9_000;

/** An id of 36 characters, like a UUID: long enough that V8 would keep a slice of it as a view into its message. */
function longId(kind: string, n: number): string {
  return `${kind}-${String(n).padStart(8, '0')}-0000-4000-8000-00000000`.padEnd(36, '0');
}

/** One publish message of about 930 KB: each event's session and user ids are new to the server. */
function message(m: number): string {
  const events = Array.from({ length: EVENTS_PER_MESSAGE }, (_, i) => ({
    event_type: 'answer_submitted',
    source: 'memory-test',
    session_id: longId('sess', m * SESSIONS_PER_MESSAGE + (i % SESSIONS_PER_MESSAGE)),
    user_id: longId('user', m * EVENTS_PER_MESSAGE + i),
    payload: { pad: 'x'.repeat(PAD_CHARS) },
  }));
  return JSON.stringify(events);
}

describe('publish messages and the ids the server keeps', () => {
  let child: InspectableChild | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await child?.stop();
    child = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  // Hint: the session registry and the unindexed tail keep each session and user id (registry keys, the session's
  // users, the tail's keys); ids read from a message must not keep the rest of the message alive with them.
  it('keeps no publish message alive through the long session and user ids it holds on to', async () => {
    dir = mkdtempSync(join(tmpdir(), 'publish-memory-'));
    child = await startInspectableChild({ DATABASE_PATH: join(dir, 'events.db') });
    const publisher = await WsClient.open(`${child.wsBase}/ws/publish`);
    try {
      // A first message warms the server's code and caches, so the baseline is the working heap.
      publisher.send(message(MESSAGES));
      expect(await publisher.next()).toMatchObject({ status: 'ok', count: EVENTS_PER_MESSAGE });
      const baseline = await child.heapUsed();
      let published = 0;
      for (let m = 0; m < MESSAGES; m++) {
        const text = message(m);
        published += text.length;
        publisher.send(text);
        expect(await publisher.next()).toMatchObject({ status: 'ok', count: EVENTS_PER_MESSAGE });
      }
      const s = await stats(child.base);
      expect(s.head_offset).toBe((MESSAGES + 1) * EVENTS_PER_MESSAGE);
      expect(published).toBeGreaterThan(35 * 1024 * 1024);
      // Every message's sessions are still active, so a message pinned by its ids would still be held: 40 of them
      // are over 35 MB. What the server really keeps for 400 sessions and 4,000 users is well under a tenth of that.
      const grown = (await child.heapUsed()) - baseline;
      expect(grown).toBeLessThan(published / 10);
    } finally {
      await publisher.close();
    }
  });
});
