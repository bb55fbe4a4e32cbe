import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type GroupOutcome, LogWriteError } from '../persistence/eventLog.js';
import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { GroupCommit, type SubmitOutcome } from './groupCommit.js';
import { silentLogger } from './logger.js';
import { ManualScheduler } from './manualScheduler.js';

const input = (batch: number, i: number): EventInput => ({
  id: null,
  event_type: 'timer_tick',
  source: 's',
  session_id: null,
  user_id: null,
  payloadJson: `{"b":${batch},"i":${i}}`,
});

interface Open {
  readonly groups: readonly (readonly EventInput[])[];
  readonly resolve: (outcomes: GroupOutcome[]) => void;
  readonly reject: (error: Error) => void;
}

/** A log holding every commit until the test answers it, in any order; offsets are handed out when answered. */
class OpenLog {
  head = 0;
  readonly open: Open[] = [];
  maxOpen = 0;

  commit(groups: readonly (readonly EventInput[])[]): Promise<GroupOutcome[]> {
    return new Promise((resolve, reject) => {
      this.open.push({ groups, resolve, reject });
      this.maxOpen = Math.max(this.maxOpen, this.open.length);
    });
  }

  /** Answer open commit `index` (committed, or failed) and let its continuation run. */
  async answer(index: number, fail = false): Promise<void> {
    const [commit] = this.open.splice(index, 1);
    if (commit === undefined) return;
    if (fail) commit.reject(new LogWriteError('disk full'));
    else
      commit.resolve(
        commit.groups.map((group) => {
          const records: StoredEvent[] = group.map((g) => ({
            ...g,
            id: `e${this.head + 1}`,
            offset: ++this.head,
            ts: 0,
          }));
          return { ok: true, records, appended: records };
        }),
      );
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

function setup(maxInFlight: number, maxPendingEvents = 10) {
  const scheduler = new ManualScheduler();
  const log = new OpenLog();
  const committed: number[][] = [];
  const ingress = new GroupCommit({
    log,
    logger: silentLogger,
    scheduler,
    maxPendingEvents,
    maxInFlight,
    committed: (records) => committed.push(records.map((r) => r.offset)),
  });
  /** Each accepted batch's outcomes, by batch number (more than one would be a double ack). */
  const outcomes = new Map<number, SubmitOutcome[]>();
  const sent = new Map<number, readonly EventInput[]>();
  let batches = 0;
  const submit = (n: number) => {
    const batch = ++batches;
    const inputs = Array.from({ length: n }, (_, i) => input(batch, i));
    const refusal = ingress.submit(inputs, (o) => outcomes.set(batch, [...(outcomes.get(batch) ?? []), o]));
    if (refusal === null) sent.set(batch, inputs);
    return refusal;
  };
  return { scheduler, log, committed, ingress, outcomes, sent, submit };
}

/** Every accepted batch was answered exactly once, and a committed one with records of its own inputs. */
function expectOwnOutcomes(sent: Map<number, readonly EventInput[]>, outcomes: Map<number, SubmitOutcome[]>) {
  for (const [batch, inputs] of sent) {
    const answers = outcomes.get(batch) ?? [];
    expect(answers).toHaveLength(1);
    const outcome = answers[0]!;
    if (outcome.ok) expect(outcome.records.map((r) => r.payloadJson)).toEqual(inputs.map((i) => i.payloadJson));
    else expect(outcome).toMatchObject({ retryable: true });
  }
  expect([...outcomes.keys()].every((batch) => sent.has(batch))).toBe(true);
}

describe('GroupCommit with several commits in flight', () => {
  it('keeps up to maxInFlight commits at the log, the next one starting as soon as one is answered', async () => {
    const { scheduler, log, submit } = setup(3);
    for (let i = 0; i < 5; i++) {
      submit(1);
      scheduler.runImmediates();
    }
    expect(log.open.map((c) => c.groups.length)).toEqual([1, 1, 1]);
    await log.answer(1);
    // The two batches that waited go as one commit, at once.
    expect(log.open.map((c) => c.groups.length)).toEqual([1, 1, 2]);
  });

  it('acks each batch with its own commit outcome when the log answers out of order', async () => {
    const { scheduler, log, submit, sent, outcomes, committed } = setup(4);
    for (let i = 0; i < 3; i++) {
      submit(2);
      submit(1);
      scheduler.runImmediates();
    }
    await log.answer(2);
    await log.answer(0, true);
    expect(outcomes.get(5)?.[0]).toMatchObject({ ok: true, records: [{ offset: 1 }, { offset: 2 }] });
    expect(outcomes.get(1)?.[0]).toMatchObject({ ok: false, retryable: true });
    expect(outcomes.has(3)).toBe(false);
    await log.answer(0);
    expectOwnOutcomes(sent, outcomes);
    expect(committed).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('close waits for every commit in flight and every batch still queued', async () => {
    const { scheduler, log, submit, sent, outcomes, ingress } = setup(2);
    submit(1);
    scheduler.runImmediates();
    submit(1);
    scheduler.runImmediates();
    submit(1);
    let closed = false;
    const closing = ingress.close().then(() => (closed = true));
    expect(submit(1)).toBe('stopping');
    await log.answer(1);
    expect(log.open).toHaveLength(2);
    await log.answer(0);
    expect(closed).toBe(false);
    await log.answer(0);
    await closing;
    expectOwnOutcomes(sent, outcomes);
    expect(sent.size).toBe(3);
  });

  it('holds the bound on queued events while commits are in flight', () => {
    const { scheduler, ingress, submit } = setup(2, 4);
    submit(4);
    scheduler.runImmediates();
    submit(4);
    scheduler.runImmediates();
    expect(submit(3)).toBeNull();
    expect(submit(2)).toBe('MAX_PENDING_EVENTS');
    expect(ingress.queued).toBe(3);
  });

  it('property: whatever the order of answers, at most maxInFlight are open, each batch gets its own outcome once, and close drains', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('submit' as const), n: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constant('turn' as const) }),
      fc.record({ kind: fc.constant('answer' as const), pick: fc.nat(), fail: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.array(step, { maxLength: 40 }), async (max, steps) => {
        const { scheduler, log, submit, sent, outcomes, ingress } = setup(max, 8);
        for (const s of steps) {
          if (s.kind === 'submit') submit(s.n);
          else if (s.kind === 'turn') scheduler.runImmediates();
          else if (log.open.length > 0) await log.answer(s.pick % log.open.length, s.fail);
          expect(ingress.queued).toBeLessThanOrEqual(8);
        }
        const closing = ingress.close();
        while (log.open.length > 0) await log.answer(0);
        await closing;
        expect(log.maxOpen).toBeLessThanOrEqual(max);
        expect(ingress.queued).toBe(0);
        expectOwnOutcomes(sent, outcomes);
      }),
      { numRuns: 200 },
    );
  });
});
