import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../actors/manualScheduler.js';
import { AHEAD_MS, RECHECK_MS, ReplicaAhead, type StreamAnswer } from './replicaAhead.js';

/** A stream info answer from the stream's leader (`leader` false: from a member that sees no leader). */
const answer = (lastSeq: number, leader = true): StreamAnswer => ({
  state: { last_seq: lastSeq },
  cluster: leader ? { name: 'c', leader: 'n1' } : { name: 'c' },
});

const SETTLED = /^this node's replica holds offsets up to 40 but stream EVENTS ends at sequence 20: /;

/** A ReplicaAhead on a manual clock whose pauses move the clock (nothing sleeps). */
function manual() {
  const clock = new ManualScheduler();
  const ahead = new ReplicaAhead(
    'EVENTS',
    () => clock.now(),
    async (ms) => clock.advance(ms),
  );
  return { clock, ahead };
}

describe('ReplicaAhead', () => {
  it('never confirms a leader whose answers lag a replica fed from a follower, however long the load lasts', () => {
    // The probe's figures: the leader answered 35668 while the replica held 35901, and went on past it.
    const { clock, ahead } = manual();
    ahead.observe(35_901, answer(35_668));
    for (let second = 1; second <= 10; second++) {
      clock.advance(1_000);
      // Each answer reaches the head the last wait began at, and is below the head by then (the load goes on).
      ahead.observe(35_901 + second * 1_500, answer(35_901 + (second - 1) * 1_500 + 10));
      expect(ahead.confirmed).toBeNull();
      expect(ahead.change()).toBeNull();
    }
  });

  it('confirms a stream that stays below the head it fell below for AHEAD_MS, said once, and for good', () => {
    const { clock, ahead } = manual();
    ahead.observe(40, answer(40));
    expect(ahead.pending).toBe(false);
    ahead.observe(40, answer(20));
    expect(ahead.pending).toBe(true);
    expect(ahead.confirmed).toBeNull();
    clock.advance(AHEAD_MS - 1);
    ahead.observe(40, answer(20));
    expect(ahead.confirmed).toBeNull();
    expect(ahead.change()).toBeNull();
    clock.advance(1);
    ahead.observe(40, answer(20));
    const problem = ahead.confirmed;
    expect(problem).toMatch(SETTLED);
    expect(problem).toContain('offsets 21-40 here are in no stream');
    expect(problem).toContain('GET /events?after_offset=20');
    expect(problem).toContain('delete its DATABASE_PATH file');
    expect(ahead.pending).toBe(false);
    expect(ahead.change()).toBe(problem);
    expect(ahead.change()).toBeNull();
    // Settled: a stream that grows past the head since (other nodes published) holds other events at 21-40.
    ahead.observe(40, answer(45));
    expect(ahead.confirmed).toBe(problem);
  });

  it('lets publishes wait for the next answer, not refuse them: cleared once the leader reaches the head', async () => {
    const { clock, ahead } = manual();
    ahead.observe(40, answer(39));
    const started = clock.now();
    const asked: number[] = [];
    const settled = await ahead.settle(async () => {
      asked.push(clock.now() - started);
      ahead.observe(41, answer(40));
    });
    expect(settled).toBeNull();
    expect(asked).toEqual([RECHECK_MS]);
    expect(ahead.pending).toBe(false);
    // Nothing waits now: no request.
    expect(await ahead.settle(() => Promise.reject(new Error('not asked')))).toBeNull();
  });

  it('refuses the publishes that waited once a stream behind the replica is confirmed; one loop for every caller', async () => {
    const { ahead } = manual();
    ahead.observe(40, answer(20));
    let asks = 0;
    const ask = async () => {
      asks++;
      ahead.observe(40, answer(20));
    };
    const [first, second] = await Promise.all([ahead.settle(ask), ahead.settle(ask)]);
    expect(first).toMatch(SETTLED);
    expect(second).toBe(first);
    expect(asks).toBe(AHEAD_MS / RECHECK_MS);
    expect(await ahead.settle(ask)).toBe(first);
    expect(asks).toBe(AHEAD_MS / RECHECK_MS);
  });

  it('answers the publishes that wait at once when the node stops, asking the stream no more', async () => {
    const { ahead } = manual();
    ahead.observe(40, answer(20));
    let asks = 0;
    let running = true;
    const settled = await ahead.settle(
      async () => {
        asks++;
        running = false;
      },
      () => running,
    );
    expect([settled, asks]).toEqual(['log is closed; nothing was published, retry', 1]);
  });

  it('refuses, saying nothing was published, when no leader answers within AHEAD_MS', async () => {
    const { ahead } = manual();
    ahead.observe(40, answer(20));
    const settled = await ahead.settle(async () => ahead.observe(40, answer(10, false)));
    expect(settled).toBe(
      "stream EVENTS answered that it ends at sequence 20, below this node's replica (offsets up to 40), and no " +
        'answer from its leader confirmed or cleared that within 3 s: nothing was published, retry',
    );
    expect(ahead.confirmed).toBeNull();
  });

  it('counts no answer that names no leader: a member answering from its own copy, which may lag', () => {
    const { clock, ahead } = manual();
    ahead.observe(156_642, answer(156_036, false));
    expect(ahead.pending).toBe(false);
    clock.advance(AHEAD_MS);
    ahead.observe(156_642, answer(156_036, false));
    expect(ahead.pending).toBe(false);
    expect(ahead.change()).toBeNull();
    // A wait under way is neither ended nor settled by one; a server that is not clustered names none and counts.
    ahead.observe(40, answer(20));
    clock.advance(AHEAD_MS);
    ahead.observe(40, answer(45, false));
    expect(ahead.confirmed).toBeNull();
    ahead.observe(40, { state: { last_seq: 20 } });
    expect(ahead.confirmed).toMatch(SETTLED);
  });
});
