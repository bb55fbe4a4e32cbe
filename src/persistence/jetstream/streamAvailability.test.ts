import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../actors/manualScheduler.js';
import { HEARD_NS, RECOVERY_HEARD_NS, RECOVERY_MS, StreamAvailability, UNAVAILABLE_MS } from './streamAvailability.js';

const heard = (active: number, offline?: boolean) => ({ active, ...(offline === undefined ? {} : { offline }) });
const led = { cluster: { name: 'c', leader: 'n1', replicas: [heard(1e9), heard(9e9)] }, config: { num_replicas: 3 } };
/** A leader whose follower was heard within RECOVERY_HEARD_NS: usable again after an outage. */
const fresh = { cluster: { name: 'c', leader: 'n1', replicas: [heard(2e8), heard(9e9)] }, config: { num_replicas: 3 } };
/** A leader that has not heard from either follower for longer than HEARD_NS: it has lost its quorum. */
const alone = {
  cluster: { name: 'c', leader: 'n1', replicas: [heard(HEARD_NS), heard(1e9, true)] },
  config: { num_replicas: 3 },
};
const leaderless = { cluster: { name: 'c' }, config: { num_replicas: 3 } };
/** A server that is not clustered answers with no cluster block at all: it leads its streams. */
const single = { config: { num_replicas: 1 } };

describe('StreamAvailability', () => {
  it('names a stream without a leader after UNAVAILABLE_MS, once, and says when it has one again', () => {
    const clock = new ManualScheduler();
    const availability = new StreamAvailability('EVENTS', () => clock.now());
    availability.answered(leaderless);
    clock.advance(UNAVAILABLE_MS - 1);
    availability.answered(leaderless);
    expect(availability.problem).toBeNull();
    expect(availability.change()).toBeNull();
    clock.advance(1);
    expect(availability.problem).toMatch(
      /^stream EVENTS has no leader with a quorum \(fewer than a majority of its 3 servers.*\(for 5 s\)$/,
    );
    expect(availability.change()).toMatch(/^stream EVENTS has no leader with a quorum/);
    availability.failed('timeout');
    clock.advance(3_000);
    expect(availability.problem).toMatch(/^JetStream does not answer about stream EVENTS \(timeout\).*\(for 8 s\)$/);
    expect(availability.change()).toBeNull();
    // After a reported outage, usable again only once answers show a quorum of followers heard within
    // RECOVERY_HEARD_NS for RECOVERY_MS: `led`'s follower, heard 1 s before, is not enough.
    availability.answered(led);
    clock.advance(RECOVERY_MS);
    availability.answered(led);
    expect(availability.problem).not.toBeNull();
    availability.answered(fresh);
    clock.advance(RECOVERY_MS - 1);
    availability.answered(fresh);
    expect(availability.problem).not.toBeNull();
    expect(availability.change()).toBeNull();
    clock.advance(1);
    availability.answered(fresh);
    expect(availability.problem).toBeNull();
    expect(availability.change()).toBe('stream EVENTS answers with a leader again; publishes can be acknowledged');
    expect(availability.change()).toBeNull();
  });

  it('starts its recovery again at an answer without a quorum or a failed request', () => {
    const clock = new ManualScheduler();
    const availability = new StreamAvailability('EVENTS', () => clock.now());
    availability.failed('timeout');
    clock.advance(UNAVAILABLE_MS);
    availability.answered(fresh);
    clock.advance(RECOVERY_MS);
    availability.failed('timeout');
    availability.answered(fresh);
    clock.advance(RECOVERY_MS - 1);
    availability.answered(fresh);
    expect(availability.problem).toMatch(/^JetStream does not answer about stream EVENTS/);
    clock.advance(1);
    availability.answered(fresh);
    expect(availability.problem).toBeNull();
    expect(RECOVERY_HEARD_NS).toBeLessThan(HEARD_NS);
  });

  it('takes a server that is not clustered as the leader, and starts the grace again after an answer', () => {
    const clock = new ManualScheduler();
    const availability = new StreamAvailability('EVENTS', () => clock.now());
    availability.answered(single);
    clock.advance(UNAVAILABLE_MS * 2);
    expect(availability.problem).toBeNull();
    availability.failed('JetStream system temporarily unavailable');
    clock.advance(UNAVAILABLE_MS - 10);
    availability.answered(led);
    availability.failed('timeout');
    clock.advance(UNAVAILABLE_MS - 10);
    expect(availability.problem).toBeNull();
    expect(availability.change()).toBeNull();
  });

  it('counts a leader that has heard from no follower within HEARD_NS as without quorum, and one follower as enough', () => {
    const clock = new ManualScheduler();
    const availability = new StreamAvailability('EVENTS', () => clock.now());
    availability.answered(alone);
    clock.advance(UNAVAILABLE_MS);
    expect(availability.problem).toMatch(/^stream EVENTS has no leader with a quorum/);
    availability.answered(fresh);
    clock.advance(RECOVERY_MS);
    availability.answered(fresh);
    expect(availability.problem).toBeNull();
    // Before an outage is reported, one follower heard within HEARD_NS is enough, and one answer clears the grace.
    availability.answered(alone);
    clock.advance(UNAVAILABLE_MS - 1);
    availability.answered(led);
    clock.advance(UNAVAILABLE_MS - 1);
    expect(availability.problem).toBeNull();
  });
});
