import type { SubscriptionNotice } from './subscriptionAck.js';
import type { EventRecord } from './types.js';

/** A received record, or a checkpoint: the server has scanned up to `checkpoint` with nothing more to send. */
export type ReceivedItem = EventRecord | { readonly checkpoint: number };

/** What a subscription has received and not yet handed out, and the next offset it expects: replays are dropped. */
export class ReceiveBuffer {
  /** The next offset to ask the server for, or null before the first ack of a head start. */
  next: number | null = null;
  private readonly items: (ReceivedItem | { readonly notice: SubscriptionNotice })[] = [];
  /** Hint: more than one, so a wake (a close) reaches every pending `next()`, not only the last one to wait. */
  private waiters: Array<() => void> = [];

  /**
   * `onNotice` gets each notice queued with addNotice once the items before it have been handed out; `threw` gets what
   * it throws, before shift() throws it on.
   */
  constructor(
    private readonly onNotice: (notice: SubscriptionNotice) => void,
    private readonly threw: (error: unknown) => void,
  ) {}

  /** Items waiting to be handed out. */
  get length(): number {
    return this.items.length;
  }

  /** Append the records at or past `next`, in order (StreamOrder has checked that they come in offset order). */
  addRecords(records: readonly EventRecord[]): void {
    for (const record of records) {
      // Hint: after a beyond_head below what was received, the server sends again from its head (the ack's notice
      // says so); offsets make those visible.
      if (this.next !== null && record.offset < this.next) continue;
      this.items.push(record);
      this.next = record.offset + 1;
    }
  }

  /** Append a checkpoint unless it is behind `next`, and wake the consumer for it. */
  addCheckpoint(offset: number): void {
    if (this.next !== null && offset < this.next) return;
    this.next = offset + 1;
    this.items.push({ checkpoint: offset });
    this.wake();
  }

  /**
   * Queue a notice behind the items received so far. Hint: the server sends a retention notice right before its gap;
   * told on arrival, a consumer would mark the gap while records before it were still to come.
   */
  addNotice(notice: SubscriptionNotice): void {
    this.items.push({ notice });
    this.wake();
  }

  /** Remove every item waiting (records of a log that was replaced); returns how many records there were. */
  clear(): number {
    const records = this.items.filter((item) => 'offset' in item).length;
    this.items.length = 0;
    return records;
  }

  /** The oldest record or checkpoint, removed; notices before it go to `onNotice` on the way. */
  shift(): ReceivedItem | undefined {
    for (let item = this.items.shift(); item !== undefined; item = this.items.shift()) {
      if (!('notice' in item)) return item;
      try {
        this.onNotice(item.notice);
      } catch (error) {
        // Hint: thrown inside next(): a for await it leaves calls no return(), so `threw` fails the subscription.
        this.threw(error);
        throw error;
      }
    }
    return undefined;
  }

  /** Resolves at the next `wake`. */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Wake every consumer waiting in `wait`. */
  wake(): void {
    if (this.waiters.length === 0) return;
    for (const wake of this.waiters.splice(0)) wake();
  }
}
