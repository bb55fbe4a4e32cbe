import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../actors/manualScheduler.js';
import { AHEAD_MS, ReplicaAhead, type StreamAnswer } from './replicaAhead.js';

/** A stream info answer from the stream's leader (`leader` false: from a member that sees no leader). */
const answer = (lastSeq: number, leader = true): StreamAnswer => ({
  state: { last_seq: lastSeq },
  cluster: leader ? { name: 'c', leader: 'n1' } : { name: 'c' },
});

const SETTLED = /^this node's replica holds offsets up to 40 but stream EVENTS ends at sequence 20: /;

describe('ReplicaAhead', () => {
  it('refuses at once while the stream ends below the head, saying it waits to confirm, and for good after AHEAD_MS', () => {
    const clock = new ManualScheduler();
    const ahead = new ReplicaAhead('EVENTS', () => clock.now());
    ahead.observe(40, answer(40));
    expect(ahead.problem).toBeNull();
    ahead.observe(40, answer(20));
    // Not confirmed yet: refused, with no advice to delete anything.
    const waiting = ahead.problem;
    expect(waiting).toBe(
      "stream EVENTS answered that it ends at sequence 20, below this node's replica (offsets up to 40): waiting up " +
        'to 3 s to confirm it (a stream leader just elected may answer before it applied what its predecessor acked); ' +
        'this node refuses publishes meanwhile, retry',
    );
    expect(ahead.confirmed).toBeNull();
    expect(ahead.change()).toBeNull();
    clock.advance(AHEAD_MS - 1);
    ahead.observe(40, answer(20));
    expect(ahead.problem).toBe(waiting);
    expect(ahead.change()).toBeNull();
    clock.advance(1);
    ahead.observe(40, answer(20));
    const problem = ahead.problem;
    expect(problem).toMatch(SETTLED);
    expect(problem).toContain('offsets 21-40 here are in no stream');
    expect(problem).toContain('GET /events?after_offset=20');
    expect(problem).toContain('delete its DATABASE_PATH file');
    expect(ahead.confirmed).toBe(problem);
    expect(ahead.change()).toBe(problem);
    expect(ahead.change()).toBeNull();
    // Settled: a stream that grows past the head since (other nodes published) holds other events at 21-40.
    ahead.observe(40, answer(45));
    expect(ahead.problem).toBe(problem);
  });

  it('forgets a stream that was below the head for less than AHEAD_MS (a leader answering before it applied all)', () => {
    const clock = new ManualScheduler();
    const ahead = new ReplicaAhead('EVENTS', () => clock.now());
    ahead.observe(40, answer(39));
    expect(ahead.problem).toContain('ends at sequence 39, below this node');
    clock.advance(AHEAD_MS - 1);
    ahead.observe(40, answer(40));
    expect(ahead.problem).toBeNull();
    // The next time below starts its own wait.
    ahead.observe(41, answer(40));
    clock.advance(AHEAD_MS - 1);
    ahead.observe(41, answer(40));
    expect(ahead.change()).toBeNull();
    expect(ahead.problem).toContain('waiting up to 3 s');
  });

  it('counts no answer that names no leader: a member answering from its own copy, which may lag', () => {
    const clock = new ManualScheduler();
    const ahead = new ReplicaAhead('EVENTS', () => clock.now());
    ahead.observe(156_642, answer(156_036, false));
    expect(ahead.problem).toBeNull();
    clock.advance(AHEAD_MS);
    ahead.observe(156_642, answer(156_036, false));
    expect(ahead.problem).toBeNull();
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
