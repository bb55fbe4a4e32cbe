import { describe, expect, it } from 'vitest';
import { idleSocket, unitDue } from '../../test/support/clientDoubles.js';
import { PublishQueue } from './publishQueue.js';
import type { Scheduler } from './scheduler.js';
import { SocketLiveness } from './socketLiveness.js';

describe('SocketLiveness', () => {
  it('presumes a socket dead after a handshake of min(deliveryTimeoutMs, 10 s), an owed answer unheard of 15 s', () => {
    let time = 0;
    const scheduler: Scheduler = { now: () => time, setTimeout: () => 0, clearTimeout: () => undefined };
    const queue = new PublishQueue();
    const liveness = new SocketLiveness(scheduler, 120_000, queue);
    expect(liveness.deadAt(null)).toBe(Number.POSITIVE_INFINITY);
    time = 5;
    liveness.connecting();
    expect(liveness.deadAt(idleSocket(0))).toBe(10_005);
    const open = idleSocket(1);
    expect(liveness.deadAt(open)).toBe(Number.POSITIVE_INFINITY);
    // A unit already past its deadline, sent now: the socket still gets its full 15 s (a server may hold it 10 s).
    queue.units.push(unitDue(0));
    time = 20;
    queue.takeMessage({ maxEvents: 10, maxBytes: 1_000 }, time);
    expect(liveness.deadAt(open)).toBe(15_020);
    time = 30;
    liveness.heard();
    expect(liveness.deadAt(open)).toBe(15_030);
    expect(liveness.reason(open)).toBe('no acknowledgement within 15000 ms');
    expect(new SocketLiveness(scheduler, 1_000, queue).reason(idleSocket(0))).toBe(
      'connection not open within 1000 ms',
    );
    expect(new SocketLiveness(scheduler, 12_000, queue).reason(open)).toBe('no acknowledgement within 12000 ms');
  });
});
