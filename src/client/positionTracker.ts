import type { PositionStore } from './positionStore.js';
import type { Scheduler, TimerHandle } from './scheduler.js';
import type { Position } from './types.js';

/** A subscription's position, written to its store at most once per interval (and on demand). */
export class PositionTracker {
  private current: Position = { offset: 0, epoch: null };
  private timer: TimerHandle | null = null;

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

  /** Replace the position (a start point, or a new log). */
  reset(position: Position): void {
    this.current = position;
  }

  /** Take `epoch` as the position's when it has none yet (a start from an offset: the first ack's epoch). */
  confirm(epoch: string): void {
    if (this.current.epoch === null) this.current = { offset: this.current.offset, epoch };
  }

  /** Move forward to `offset` in `epoch` (never back) and schedule a save. */
  advance(offset: number, epoch: string | null): void {
    if (offset <= this.current.offset) return;
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
}
