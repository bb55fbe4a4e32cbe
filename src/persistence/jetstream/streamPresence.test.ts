import type { StreamConfig } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../actors/manualScheduler.js';
import { isStreamNotFound, MISSING_MS, StreamPresence } from './streamPresence.js';

const notFound = new Error('stream not found');
const fit = { name: 'EVENTS', subjects: ['EVENTS.>'], retention: 'limits', num_replicas: 3 } as StreamConfig;

describe('StreamPresence', () => {
  it('counts the stream gone only after MISSING_MS of "stream not found", tells it once, and when it is back', () => {
    const clock = new ManualScheduler();
    const presence = new StreamPresence('EVENTS', () => clock.now());
    expect(presence.failed(new Error('timeout'))).toBe(false);
    expect(presence.failed(notFound)).toBe(true);
    clock.advance(MISSING_MS - 1);
    expect(presence.failed(notFound)).toBe(true);
    expect(presence.problem).toBeNull();
    expect(presence.change()).toBeNull();
    clock.advance(1);
    const problem = presence.problem;
    expect(problem).toContain('stream EVENTS no longer exists');
    expect(problem).toContain('NATS_ALLOW_NEW_STREAM');
    expect(presence.change()).toBe(problem);
    expect(presence.change()).toBeNull();
    presence.answered(fit);
    expect(presence.problem).toBeNull();
    expect(presence.change()).toBe('stream EVENTS can hold the log again; this node accepts publishes again');
    expect(presence.change()).toBeNull();
  });

  it('starts the grace again after the stream answered in between', () => {
    const clock = new ManualScheduler();
    const presence = new StreamPresence('EVENTS', () => clock.now());
    presence.failed(notFound);
    clock.advance(MISSING_MS - 10);
    presence.answered(fit);
    presence.failed(notFound);
    clock.advance(MISSING_MS - 10);
    expect(presence.problem).toBeNull();
  });

  it('refuses at once a stream changed so that it cannot hold the log, naming how, until it is changed back', () => {
    const presence = new StreamPresence('EVENTS');
    presence.answered({ ...fit, subjects: ['OTHER.>'] });
    expect(presence.problem).toBe(
      'stream EVENTS was changed so that it cannot hold the log (it does not capture subject EVENTS.event (its ' +
        'subjects: OTHER.>)): this node refuses publishes until it is changed back',
    );
    presence.answered({ ...fit, sealed: true });
    expect(presence.problem).toContain('it is sealed');
    expect(presence.change()).toContain('it is sealed');
    presence.answered({ ...fit, num_replicas: 1 });
    expect(presence.problem).toBeNull();
  });

  it('refuses while the description is edited to name another epoch, and says so when it is put back', () => {
    const presence = new StreamPresence('EVENTS');
    presence.answered({ ...fit, subjects: ['OTHER.>'] }, 'the description was changed');
    expect(presence.problem).toBe('the description was changed');
    expect(presence.change()).toBe('the description was changed');
    presence.answered(fit);
    expect(presence.problem).toBeNull();
    expect(presence.change()).toBe(
      "stream EVENTS's description names this log's epoch again; this node accepts publishes again",
    );
    presence.answered({ ...fit, no_ack: true });
    expect(presence.problem).toContain('(no_ack)');
  });

  it('knows "stream not found" by its text when it is no JetStream API error', () => {
    expect(isStreamNotFound(new Error('Stream Not Found'))).toBe(true);
    expect(isStreamNotFound(new Error('no responders'))).toBe(false);
    expect(isStreamNotFound('stream not found')).toBe(false);
  });
});
