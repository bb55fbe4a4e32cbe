import { type BatchLimits, type Message, takeMessage, type Unit } from './publishBatcher.js';

/** A publisher's outstanding work: units waiting to be sent and messages awaiting their reply, each oldest first. */
export class PublishQueue {
  /** Units not sent yet (or sent again after a reply or a lost socket asked for it). */
  units: Unit[] = [];
  /** Messages on the wire, not answered yet. */
  inflight: Message[] = [];
  private nextRef = 1;
  /** The ref of the message a unit was last sent in, for units put back to be sent again. */
  private readonly sentIn = new WeakMap<Unit, number>();
  /** When each message on the wire was sent. */
  private readonly sentAt = new WeakMap<Message, number>();
  /** Units on the wire that failed at their deadline: their answer, if it comes, changes nothing, and none is resent. */
  private readonly expired = new WeakSet<Unit>();

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

  /** Take the next message off the front of the queue and count it in flight, sent at `now`. */
  takeMessage(limits: BatchLimits, now: number): Message {
    const units = takeMessage(this.units, limits);
    const message: Message = {
      ref: this.nextRef++,
      units,
      eventCount: units.reduce((n, u) => n + u.events.length, 0),
    };
    this.inflight.push(message);
    this.sentAt.set(message, now);
    return message;
  }

  /** When the oldest message awaiting its answer was sent (Infinity: none awaits one). */
  oldestSentAt(): number {
    const oldest = this.inflight[0];
    return oldest === undefined ? Number.POSITIVE_INFINITY : (this.sentAt.get(oldest) ?? Number.POSITIVE_INFINITY);
  }

  /** The units that have not failed at their deadline while on the wire. */
  unexpired(units: readonly Unit[]): readonly Unit[] {
    return units.filter((unit) => !this.expired.has(unit));
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
    for (const message of this.inflight) this.putBack(message.ref, message.units);
    this.inflight = [];
  }

  /**
   * Put units sent in message `ref` back to be sent again, in the order they were first sent: after the units put
   * back from older messages, before those from newer ones and before every unit never sent. Hint: replies come in
   * message order, so putting each back at the very front reversed the messages a full pipeline refused at once.
   */
  putBack(ref: number, units: readonly Unit[]): void {
    let at = 0;
    while (at < this.units.length && (this.sentIn.get(this.units[at]!) ?? Number.POSITIVE_INFINITY) < ref) at++;
    const live = this.unexpired(units);
    for (const unit of live) this.sentIn.set(unit, ref);
    this.units.splice(at, 0, ...live);
  }

  /** Remove every unit, in flight or queued, and reject it with `error`. */
  rejectAll(error: Error): void {
    const all = [...this.inflight.flatMap((m) => m.units), ...this.units];
    this.inflight = [];
    this.units = [];
    for (const unit of all) unit.reject(error);
  }

  /**
   * Reject the units past their deadline, queued or on the wire, each with its own `error(unit)`. Hint: one on the
   * wire stays in its message (the answer's offsets count it) but is done: a unit past its deadline is no verdict on
   * the socket (a fresh one carries the units resent after an outage, some of them due at once).
   */
  expire(now: number, error: (unit: Unit) => Error): void {
    this.units = this.units.filter((unit) => {
      if (unit.deadline > now) return true;
      unit.reject(error(unit));
      return false;
    });
    for (const message of this.inflight)
      for (const unit of message.units) {
        if (unit.deadline > now || this.expired.has(unit)) continue;
        this.expired.add(unit);
        unit.reject(error(unit));
      }
  }

  /** The earliest deadline of any unit not yet failed, queued or in flight (Infinity when there is none). */
  earliestDeadline(): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const message of this.inflight)
      for (const unit of message.units) if (!this.expired.has(unit)) earliest = Math.min(earliest, unit.deadline);
    for (const unit of this.units) earliest = Math.min(earliest, unit.deadline);
    return earliest;
  }
}
