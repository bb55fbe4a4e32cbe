import type { PositionStore } from './positionStore.js';
import type { Scheduler, TimerHandle } from './scheduler.js';
import type { Position } from './types.js';

/** A subscription's position, written to its store at most once per interval (and on demand). */
export class PositionTracker {
  private current: Position = { offset: 0, epoch: null };
  /** The last record handed out: it becomes the position once the consumer asks for more (handOver). */
  private handed = 0;
  private timer: TimerHandle | null = null;
  private frozen = false;

  constructor(
    private readonly store: PositionStore | undefined,
    private readonly key: string,
    private readonly scheduler: Scheduler,
    private readonly intervalMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  get position(): Position {
    return this.current;
  }

  /** The position saved in the store under this subscription's key, or null (no store, or nothing saved yet). */
  async load(): Promise<Position | null> {
    return this.store === undefined ? null : await this.store.load(this.key);
  }

  /** Replace the position (a start point, or a new log), with nothing handed out past it. */
  reset(position: Position): void {
    this.current = position;
    this.handed = position.offset;
  }

  /**
   * Take the first ack's `epoch`, and `offset` (the one before where that server starts), when the position has no
   * epoch yet (a start from an offset or 'head'). Hint: 'head', or an offset beyond it, is known only from the ack.
   */
  confirm(epoch: string, offset: number): void {
    if (this.current.epoch === null) this.reset({ offset, epoch });
  }

  /** The record at `offset` was handed out: not done until the consumer asks for more. */
  hand(offset: number): void {
    this.handed = offset;
  }

  /** The consumer asked for more, so the record handed out before is done: it becomes the position. */
  handOver(epoch: string | null): void {
    this.advance(this.handed, epoch);
  }

  /** Move forward to `offset` in `epoch` (never back, never once frozen) and schedule a save. */
  advance(offset: number, epoch: string | null): void {
    if (this.frozen || offset <= this.current.offset) return;
    this.current = { offset, epoch };
    if (this.store === undefined || this.timer !== null) return;
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = null;
      this.save().catch((error: unknown) => {
        try {
          this.onError(error instanceof Error ? error : new Error(String(error)));
        } catch {
          // Hint: an onError that throws has nowhere left to report to; in a timer it would crash the host.
        }
      });
    }, this.intervalMs);
  }

  /** Write the position now (a position without an epoch was never confirmed by a server, so it is not saved). */
  async save(): Promise<void> {
    if (this.store !== undefined && this.current.epoch !== null) await this.store.save(this.key, this.current);
  }

  /** Cancel a scheduled save. */
  stop(): void {
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Cancel a scheduled save and move no more (close()). Hint: the position close() saves is the last: a for await left
   * after it resolved (its return()) moved it and saved over a successor under the same key.
   */
  freeze(): void {
    this.stop();
    this.frozen = true;
  }
}
