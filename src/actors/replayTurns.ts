import type { Scheduler } from './scheduler.js';

/** Replay work that all subscribers of one pipeline may do together in one event-loop turn (ms). */
export const TURN_BUDGET_MS = 4;

/**
 * The replay time of one event-loop turn, shared round robin by every replaying subscriber of a pipeline, so many
 * concurrent replays cost the turn one bounded slice, not one slice each (REST and live traffic wait for at most
 * one turn). A subscriber gets time only while the turn's budget lasts and when it waited at least as long as the
 * longest-waiting one that asked last turn; the others try again next turn.
 */
export class ReplayTurns {
  private turn = 0;
  private armed = false;
  private usedMs = 0;
  /** Subscribers last served in a turn at or before this one may run this turn. */
  private floor = Number.POSITIVE_INFINITY;
  /** The lowest "last served" among this turn's askers (after serving): next turn's floor. */
  private lowestAsked = Number.POSITIVE_INFINITY;
  private readonly served = new WeakMap<object, number>();
  /** Measured cost of one replayed row (ms), a moving average over pages: sizes pages to the time granted. */
  private msPerRow = 0;

  constructor(private readonly scheduler: Pick<Scheduler, 'immediate'>) {}

  /** Milliseconds `who` may replay now (0: wait for the next turn). */
  claim(who: object, sliceMs: number): number {
    if (!this.armed) this.startTurn();
    const last = this.served.get(who) ?? 0;
    const remaining = TURN_BUDGET_MS - this.usedMs;
    if (remaining <= 0 || last > this.floor) {
      this.lowestAsked = Math.min(this.lowestAsked, last);
      return 0;
    }
    this.served.set(who, this.turn);
    this.lowestAsked = Math.min(this.lowestAsked, this.turn);
    return Math.min(sliceMs, remaining);
  }

  /** `ms` of this turn's budget were used. */
  spend(ms: number): void {
    this.usedMs += ms;
  }

  /** A page of `rows` rows took `ms` (read, serialize, write). */
  notePage(rows: number, ms: number): void {
    if (rows <= 0) return;
    const perRow = ms / rows;
    this.msPerRow = this.msPerRow === 0 ? perRow : this.msPerRow * 0.8 + perRow * 0.2;
  }

  /** Rows that fit in `ms` at the measured cost (at least `floor`), so one page never overshoots a grant by much. */
  rowsFor(ms: number, floor: number): number {
    return this.msPerRow === 0 ? floor : Math.max(floor, Math.floor(ms / this.msPerRow));
  }

  private startTurn(): void {
    this.armed = true;
    this.turn++;
    this.usedMs = 0;
    this.floor = this.lowestAsked;
    this.lowestAsked = Number.POSITIVE_INFINITY;
    // Hint: an immediate queued now runs after the pumps already queued for this turn, and after pending I/O.
    this.scheduler.immediate(() => {
      this.armed = false;
    });
  }
}

const turnsByScheduler = new WeakMap<object, ReplayTurns>();

/** The shared replay turns of the pipeline that owns `scheduler` (one per scheduler). */
export function replayTurnsOf(scheduler: Pick<Scheduler, 'immediate'>): ReplayTurns {
  let turns = turnsByScheduler.get(scheduler);
  if (turns === undefined) {
    turns = new ReplayTurns(scheduler);
    turnsByScheduler.set(scheduler, turns);
  }
  return turns;
}
