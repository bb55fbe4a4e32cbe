import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../actors/manualScheduler.js';
import { isStreamNotFound, MISSING_MS, StreamPresence } from './streamPresence.js';

const notFound = new Error('stream not found');

describe('StreamPresence', () => {
  it('counts the stream gone only after MISSING_MS of "stream not found", tells it once, and again when it answers', () => {
    const clock = new ManualScheduler();
    const presence = new StreamPresence('EVENTS', () => clock.now());
    expect(presence.failed(new Error('timeout'))).toBe(false);
    expect(presence.problem).toBeNull();
    expect(presence.failed(notFound)).toBe(true);
    clock.advance(MISSING_MS - 1);
    expect(presence.failed(notFound)).toBe(true);
    expect(presence.problem).toBeNull();
    expect(presence.newlyMissing()).toBeNull();
    clock.advance(1);
    const problem = presence.problem;
    expect(problem).toContain('stream EVENTS no longer exists');
    expect(problem).toContain('NATS_ALLOW_NEW_STREAM');
    expect(presence.newlyMissing()).toBe(problem);
    expect(presence.newlyMissing()).toBeNull();
    expect(presence.answered()).toBe('stream EVENTS answers again; this node applies and accepts publishes again');
    expect(presence.problem).toBeNull();
    expect(presence.answered()).toBeNull();
  });

  it('starts the grace again after the stream answered in between', () => {
    const clock = new ManualScheduler();
    const presence = new StreamPresence('EVENTS', () => clock.now());
    presence.failed(notFound);
    clock.advance(MISSING_MS - 10);
    expect(presence.answered()).toBeNull();
    presence.failed(notFound);
    clock.advance(MISSING_MS - 10);
    expect(presence.problem).toBeNull();
  });

  it('knows "stream not found" by its text when it is no JetStream API error', () => {
    expect(isStreamNotFound(new Error('Stream Not Found'))).toBe(true);
    expect(isStreamNotFound(new Error('no responders'))).toBe(false);
    expect(isStreamNotFound('stream not found')).toBe(false);
  });
});
