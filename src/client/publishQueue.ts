import { type BatchLimits, type Message, takeMessage, type Unit } from './publishBatcher.js';

/** A publisher's outstanding work: units waiting to be sent and messages awaiting their reply, each oldest first. */
export class PublishQueue {
  /** Units not sent yet (or sent again after a reply or a lost socket asked for it). */
  units: Unit[] = [];
  /** Messages on the wire, not answered yet. */
  inflight: Message[] = [];
  private nextRef = 1;

  /** Events in the units not sent yet. */
  queuedEvents(): number {
    let count = 0;
    for (const unit of this.units) count += unit.events.length;
    return count;
  }

  /** Whether the queue holds a message that should go now: a solo unit first, or `maxEvents` events. */
  fullMessage(maxEvents: number): boolean {
    // Hint: units.length bounds the count from below, so the O(n) count only runs on short queues.
    const units = this.units;
    return units[0]!.solo || units.length >= maxEvents || this.queuedEvents() >= maxEvents;
  }

  /** Take the next message off the front of the queue and count it in flight. */
  takeMessage(limits: BatchLimits): Message {
    const units = takeMessage(this.units, limits);
    const message: Message = {
      ref: this.nextRef++,
      units,
      eventCount: units.reduce((n, u) => n + u.events.length, 0),
    };
    this.inflight.push(message);
    return message;
  }

  /** Remove the in-flight message a reply answers: the one with its `ref`, or the oldest when it has none. */
  answered(ref: unknown): Message | undefined {
    const index = typeof ref === 'number' ? this.inflight.findIndex((m) => m.ref === ref) : 0;
    const message = this.inflight[index];
    if (message !== undefined) this.inflight.splice(index, 1);
    return message;
  }

  /** Put every unanswered unit back at the front of the queue, in order (ids make resends safe). */
  requeueInflight(): void {
    this.units = [...this.inflight.flatMap((m) => m.units), ...this.units];
    this.inflight = [];
  }

  /** Remove every unit, in flight or queued, and reject it with `error`. */
  rejectAll(error: Error): void {
    const all = [...this.inflight.flatMap((m) => m.units), ...this.units];
    this.inflight = [];
    this.units = [];
    for (const unit of all) unit.reject(error);
  }

  /** Reject the queued units past their deadline, each with a fresh `error()`. */
  expire(now: number, error: () => Error): void {
    this.units = this.units.filter((unit) => {
      if (unit.deadline > now) return true;
      unit.reject(error());
      return false;
    });
  }

  /** The earliest deadline of any unit, queued or in flight (Infinity when there is none). */
  earliestDeadline(): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const message of this.inflight) for (const unit of message.units) earliest = Math.min(earliest, unit.deadline);
    for (const unit of this.units) earliest = Math.min(earliest, unit.deadline);
    return earliest;
  }

  /** Whether a message on the wire holds a unit past its deadline at `now`. */
  inflightPast(now: number): boolean {
    return this.inflight.some((message) => message.units.some((unit) => unit.deadline <= now));
  }
}
