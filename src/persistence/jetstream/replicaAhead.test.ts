import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../actors/manualScheduler.js';
import { AHEAD_MS, ReplicaAhead } from './replicaAhead.js';

describe('ReplicaAhead', () => {
  it('refuses at once while the stream ends below the head, and for good once it did for AHEAD_MS', () => {
    const clock = new ManualScheduler();
    const ahead = new ReplicaAhead('EVENTS', () => clock.now());
    ahead.observe(40, 40);
    expect(ahead.problem).toBeNull();
    ahead.observe(40, 20);
    const problem = ahead.problem;
    expect(problem).toMatch(/^this node's replica holds offsets up to 40 but stream EVENTS ends at sequence 20: /);
    expect(problem).toContain('offsets 21-40 here are in no stream');
    expect(problem).toContain('GET /events?after_offset=20');
    expect(problem).toContain('delete its DATABASE_PATH file');
    expect(ahead.change()).toBeNull();
    clock.advance(AHEAD_MS - 1);
    ahead.observe(40, 20);
    expect(ahead.change()).toBeNull();
    clock.advance(1);
    ahead.observe(40, 20);
    expect(ahead.change()).toBe(problem);
    expect(ahead.change()).toBeNull();
    // Settled: a stream that grows past the head since (other nodes published) holds other events at 21-40.
    ahead.observe(40, 45);
    expect(ahead.problem).toBe(problem);
  });

  it('forgets a stream that was below the head for less than AHEAD_MS (a leader answering before it applied all)', () => {
    const clock = new ManualScheduler();
    const ahead = new ReplicaAhead('EVENTS', () => clock.now());
    ahead.observe(40, 39);
    expect(ahead.problem).toContain('holds offsets up to 40 but stream EVENTS ends at sequence 39');
    clock.advance(AHEAD_MS - 1);
    ahead.observe(40, 40);
    expect(ahead.problem).toBeNull();
    // The next time below starts its own wait.
    ahead.observe(41, 40);
    clock.advance(AHEAD_MS - 1);
    ahead.observe(41, 40);
    expect(ahead.change()).toBeNull();
    expect(ahead.problem).not.toBeNull();
  });
});
