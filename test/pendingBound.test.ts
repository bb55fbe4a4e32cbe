import { afterEach, describe, expect, it } from 'vitest';
import type { SubmitOutcome } from '../src/actors/groupCommit.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const input = (size: number): EventInput => ({
  id: null,
  event_type: 'timer_tick',
  source: 'bound',
  session_id: null,
  user_id: null,
  payloadJson: JSON.stringify({ blob: 'x'.repeat(size) }),
});

// The server's settings reach the group commit's bounds: what one turn may queue for the next commit.
describe('the pending bounds of a real server', () => {
  let t: TestServer | null = null;
  afterEach(async () => {
    await t?.stop();
    t = null;
  });

  it('refuses a batch in the same turn once MAX_PENDING_BYTES of payload wait, and takes it after the commit', async () => {
    t = await startTestServer({ MAX_PENDING_BYTES: '100000' });
    const { pipeline } = t.server;
    const outcomes: SubmitOutcome[] = [];
    const done = (outcome: SubmitOutcome) => outcomes.push(outcome);
    expect(pipeline.submit([input(60_000)], done)).toBeNull();
    expect(pipeline.submit([input(60_000)], done)).toBe('MAX_PENDING_BYTES');
    // Far under MAX_PENDING_EVENTS (100,000): only the bytes refused it.
    expect(pipeline.stats().queue_size).toBe(1);
    expect(pipeline.stats().queue_bytes).toBe(input(60_000).payloadJson.length);
    const metrics = await t.server.metrics.scrape();
    expect(metrics).toContain('pipeline_memory_bound_refusals_total{setting="MAX_PENDING_BYTES"} 1\n');
    expect(metrics).toContain(`pipeline_pending_payload_bytes ${input(60_000).payloadJson.length}\n`);
    while (outcomes.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(outcomes.map((o) => o.ok)).toEqual([true]);
    expect(pipeline.submit([input(60_000)], done)).toBeNull();
  });
});
