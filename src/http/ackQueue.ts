/** Where an AckQueue writes: a uWS WebSocket, or a fake in unit tests. */
export interface AckSink {
  /** Bytes the socket holds unsent (uWS getBufferedAmount). */
  buffered(): number;
  cork(fn: () => void): void;
  /** uWS send: 1 sent, 0 sent and buffered, 2 dropped. */
  send(text: string): number;
}

/** How a flush ended. `dropped` means the socket refused a send: a bug, the connection must be closed. */
export type FlushResult = 'done' | 'blocked' | 'dropped';

/** uWS send() status for a message it dropped over maxBackpressure. */
const DROPPED = 2;

/**
 * The /ws/publish replies of one connection, in message order. A reply is written to the socket only once every
 * earlier message has its reply, and only while the socket's own buffer is under `highWater`: past that, replies
 * wait here until uWS reports `drain`, so uWS never reaches its maxBackpressure and never drops an ack.
 *
 * Hint: uWS WebSockets have no pause()/resume() (only HttpResponse has them), so a producer that stops reading
 * cannot be stopped from writing; its acks are held here, up to a bound the caller enforces with `backlogBytes`.
 */
export class AckQueue {
  /** Reply texts from `base`; null waits for its commit (or was already sent, when before `head`). */
  private slots: (string | null)[] = [];
  /** Highest committed offset each reply acknowledges (0 for errors). */
  private offsets: number[] = [];
  /** Sequence number of slots[0]. */
  private base = 0;
  /** Index of the first unsent slot. */
  private head = 0;
  private ready = 0;
  /** Highest offset acknowledged by a reply already written to the socket. */
  ackedOffset = 0;
  /** Highest offset committed for this connection, acked or not. */
  committedOffset = 0;

  /** Reserve the next reply slot; returns its sequence number. */
  reserve(): number {
    this.slots.push(null);
    this.offsets.push(0);
    return this.base + this.slots.length - 1;
  }

  /** Set the reply of message `seq` (first reply wins); `offset` is the highest offset it acknowledges. */
  fill(seq: number, text: string, offset: number): void {
    const index = seq - this.base;
    if (index < this.head || index >= this.slots.length || this.slots[index] !== null) return;
    this.slots[index] = text;
    this.offsets[index] = offset;
    this.ready += text.length;
    if (offset > this.committedOffset) this.committedOffset = offset;
  }

  /** Characters of replies that are ready but not yet written (the backlog a bound applies to). */
  get backlogBytes(): number {
    return this.ready;
  }

  /** Messages still waiting for a reply or for their reply to be written. */
  get size(): number {
    return this.slots.length - this.head;
  }

  /** Write ready replies in order while the socket is under `highWater`. */
  flush(sink: AckSink, highWater: number): FlushResult {
    // Hint: set inside the cork callback, so TypeScript cannot narrow it.
    let dropped = false as boolean;
    while (this.head < this.slots.length && this.slots[this.head] !== null) {
      let budget = highWater - sink.buffered();
      if (budget <= 0) {
        this.compact();
        return 'blocked';
      }
      sink.cork(() => {
        while (budget > 0 && this.head < this.slots.length) {
          const text = this.slots[this.head];
          if (text === null || text === undefined) break;
          if (sink.send(text) === DROPPED) {
            dropped = true;
            return;
          }
          budget -= text.length;
          this.ready -= text.length;
          this.slots[this.head] = null;
          const offset = this.offsets[this.head]!;
          if (offset > this.ackedOffset) this.ackedOffset = offset;
          this.head++;
        }
      });
      if (dropped) return 'dropped';
    }
    this.compact();
    return 'done';
  }

  /** Drop sent slots from the front once they are the larger part, so a long backlog stays O(1) per reply. */
  private compact(): void {
    if (this.head === this.slots.length) {
      this.base += this.head;
      this.head = 0;
      this.slots.length = 0;
      this.offsets.length = 0;
    } else if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.base += this.head;
      this.slots = this.slots.slice(this.head);
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
    }
  }
}
