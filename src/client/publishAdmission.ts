import { type PickAcks, type UnitContext, unitPromise } from './createUnit.js';
import type { DeliveryWatchdog } from './deliveryWatchdog.js';
import { ClientClosedError } from './errors.js';
import type { InFlightWindow } from './inFlightWindow.js';
import type { PublishQueue } from './publishQueue.js';
import type { PublishEvent } from './types.js';
import type { UnsettledCount } from './unsettledCount.js';

/** What admitting a publish needs from its Publisher. */
export interface AdmissionParts {
  readonly window: InFlightWindow;
  readonly queue: PublishQueue;
  readonly unsettled: UnsettledCount;
  readonly watchdog: DeliveryWatchdog;
  readonly units: UnitContext;
  readonly deliveryTimeoutMs: number;
  now(): number;
  /** true once closed; 'closing' while close() drains what was asked before it. */
  closed(): boolean | 'closing';
  /** Send what can be sent now (through the publisher's last resort). */
  pump(): void;
}

/**
 * Queue `events` as one unit once the in-flight window has room; resolves with `pick` of their acks. The deadline
 * runs from this call, so a wait for room counts against deliveryTimeoutMs.
 */
export function admit<T>(parts: AdmissionParts, events: readonly PublishEvent[], pick: PickAcks<T>): Promise<T> {
  if (parts.closed()) return Promise.reject(new ClientClosedError('publisher closed'));
  // Hint: with room now (the common case) no await: a promise and a tick less.
  const deadline = parts.now() + parts.deliveryTimeoutMs;
  if (parts.window.tryTake(events.length)) return admitNow(parts, events, pick, deadline);
  return parts.window.wait(events.length, true).then(() => {
    // Hint: asked before close(), so drained by it: only a closed publisher refuses it.
    if (parts.closed() !== true && deadline > parts.now()) return admitNow(parts, events, pick, deadline);
    parts.window.release(events.length);
    throw parts.closed() === true
      ? new ClientClosedError('publisher closed')
      : parts.watchdog.timeoutError('waited for room in the in-flight window');
  });
}

function admitNow<T>(parts: AdmissionParts, events: readonly PublishEvent[], pick: PickAcks<T>, deadline: number) {
  const { unit, done } = unitPromise(events, parts.units, deadline, pick);
  // Hint: an event that cannot be sent never took a place: give its room back.
  if (unit === null) parts.window.release(events.length);
  else {
    parts.queue.units.push(unit);
    parts.unsettled.add();
    parts.watchdog.armBy(deadline);
    parts.pump();
  }
  return done;
}
