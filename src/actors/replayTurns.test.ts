import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualScheduler } from './manualScheduler.js';
import { ReplayTurns, TURN_BUDGET_MS } from './replayTurns.js';

/** Run `turns` event-loop turns in which every replayer asks in a fixed order and spends `cost` ms (at most its grant). */
function simulate(replayers: number, cost: number, turns: number) {
  const scheduler = new ManualScheduler();
  const shared = new ReplayTurns(scheduler);
  const who = Array.from({ length: replayers }, () => ({}));
  const servedAt: number[][] = who.map(() => []);
  const spentPerTurn: number[] = [];
  let maxGrant = 0;
  for (let turn = 0; turn < turns; turn++) {
    let spent = 0;
    who.forEach((w, i) => {
      const granted = shared.claim(w, 20);
      if (granted === 0) return;
      maxGrant = Math.max(maxGrant, granted);
      servedAt[i]!.push(turn);
      // A slice runs whole pages, so it may overrun its grant by up to one page (here: `cost`).
      shared.spend(cost);
      spent += cost;
    });
    spentPerTurn.push(spent);
    scheduler.runImmediates();
  }
  return { servedAt, spentPerTurn, maxGrant };
}

describe('ReplayTurns', () => {
  it('bounds the replay time of every turn and serves every replayer round robin, none starved', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0.05, max: 6, noNaN: true }), (n, cost) => {
        const turns = 4 * (n + 2);
        const { servedAt, spentPerTurn, maxGrant } = simulate(n, cost, turns);
        expect(maxGrant).toBeLessThanOrEqual(TURN_BUDGET_MS);
        // A turn's replay time stays within its budget plus the one slice that crossed it.
        // Hint: one expect per rule and run, not per turn: per-turn expects took 3 s of the test run's CPU.
        expect(Math.max(...spentPerTurn)).toBeLessThan(TURN_BUDGET_MS + cost + 1e-9);
        // Per turn at least one replayer runs, and each replayer waits at most about n / (served per turn) turns
        // (before its first turn and between two); one never served waits forever.
        const perTurn = Math.max(1, Math.floor(TURN_BUDGET_MS / cost));
        const longestWait = 2 * Math.ceil(n / perTurn) + 1;
        const waits = servedAt.map((at) =>
          at.length === 0 ? Number.POSITIVE_INFINITY : Math.max(at[0]!, ...at.slice(1).map((turn, i) => turn - at[i]!)),
        );
        expect(Math.max(...waits)).toBeLessThanOrEqual(longestWait);
      }),
    );
  });

  it('lets a lone replayer run every turn', () => {
    const { servedAt } = simulate(1, 3, 10);
    expect(servedAt[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
