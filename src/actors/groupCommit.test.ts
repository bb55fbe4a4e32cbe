import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type GroupOutcome, LogWriteError } from '../persistence/eventLog.js';
import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { GroupCommit, MAY_BE_COMMITTED, type SubmitOutcome } from './groupCommit.js';
import { type Logger, silentLogger } from './logger.js';
import { ManualScheduler } from './manualScheduler.js';

const input = (n: number): EventInput => ({
  id: null,
  event_type: 'timer_tick',
  source: 's',
  session_id: null,
  user_id: null,
  payloadJson: `{"n":${n}}`,
});

/** A log whose commits complete only when the test says so, assigning offsets from 1. */
class SlowLog {
  head = 0;
  readonly calls: (readonly (readonly EventInput[])[])[] = [];
  private readonly waiting: (() => void)[] = [];
  fail: Error | null = null;

  commit(groups: readonly (readonly EventInput[])[]): Promise<GroupOutcome[]> {
    this.calls.push(groups);
    return new Promise((resolve, reject) => {
      this.waiting.push(() => {
        if (this.fail !== null) return reject(this.fail);
        resolve(
          groups.map((group) => {
            const records: StoredEvent[] = group.map((g) => ({
              ...g,
              id: `e${this.head + 1}`,
              offset: ++this.head,
              ts: 0,
            }));
            return { ok: true, records, appended: records };
          }),
        );
      });
    });
  }

  /** Commits the log has been asked for and has not completed. */
  get waitingCommits(): number {
    return this.waiting.length;
  }

  /** Complete the oldest commit and let its continuation run. */
  async complete(): Promise<void> {
    this.waiting.shift()?.();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

function setup(maxPendingEvents = 10, maxPendingBytes?: number, logger: Logger = silentLogger) {
  const scheduler = new ManualScheduler();
  const log = new SlowLog();
  const committed: number[][] = [];
  const ingress = new GroupCommit({
    log,
    logger,
    scheduler,
    maxPendingEvents,
    ...(maxPendingBytes === undefined ? {} : { maxPendingBytes }),
    committed: (records) => committed.push(records.map((r) => r.offset)),
  });
  const outcomes: SubmitOutcome[] = [];
  const submit = (n: number) =>
    ingress.submit(
      Array.from({ length: n }, (_, i) => input(i)),
      (o) => outcomes.push(o),
    );
  return { scheduler, log, committed, ingress, outcomes, submit };
}

describe('GroupCommit', () => {
  it('commits every batch queued in one turn as one group, and acks only after the log completes it', async () => {
    const { scheduler, log, committed, outcomes, submit, ingress } = setup();
    expect(submit(2)).toBeNull();
    expect(submit(3)).toBeNull();
    expect(ingress.queued).toBe(5);
    expect(log.calls).toHaveLength(0);
    scheduler.runImmediates();
    expect(log.calls).toHaveLength(1);
    expect(log.calls[0]).toHaveLength(2);
    expect(outcomes).toHaveLength(0);
    await log.complete();
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(committed).toEqual([[1, 2, 3, 4, 5]]);
    expect(ingress.commits).toBe(1);
  });

  it('refuses a batch over the bound unless nothing is pending', () => {
    const { submit } = setup(4);
    expect(submit(6)).toBeNull();
    expect(submit(1)).toBe('MAX_PENDING_EVENTS');
  });

  it('refuses a batch whose payloads pass the byte bound unless nothing is pending, and frees it at the commit', () => {
    // Each input's payload is `{"n":i}`: 7 characters for i < 10.
    const { scheduler, submit, ingress } = setup(1_000, 20);
    expect(submit(5)).toBeNull();
    expect(submit(1)).toBe('MAX_PENDING_BYTES');
    expect(ingress.queued).toBe(5);
    expect(ingress.queuedBytes).toBe(35);
    scheduler.runImmediates();
    expect(ingress.queuedBytes).toBe(0);
    expect(submit(2)).toBeNull();
    expect(submit(1)).toBe('MAX_PENDING_BYTES');
  });

  it('tells the producers why the store failed when it knows', async () => {
    const { scheduler, log, outcomes, submit } = setup();
    log.fail = new LogWriteError('append failed; nothing was committed', { reason: 'the disk is full' });
    submit(1);
    scheduler.runImmediates();
    await log.complete();
    expect(outcomes).toEqual([
      { ok: false, retryable: true, message: 'storage unavailable; not committed, retry (the disk is full)' },
    ]);
  });

  it('runs one commit at a time, so records leave in offset order', async () => {
    const { scheduler, log, committed, submit } = setup();
    submit(1);
    scheduler.runImmediates();
    submit(2);
    scheduler.runImmediates();
    expect(log.calls).toHaveLength(1);
    await log.complete();
    scheduler.runImmediates();
    expect(log.calls).toHaveLength(2);
    await log.complete();
    expect(committed).toEqual([[1], [2, 3]]);
  });

  it('answers every producer with a retryable outcome when the commit fails', async () => {
    const { scheduler, log, committed, outcomes, submit } = setup();
    log.fail = new LogWriteError('disk full');
    submit(1);
    submit(1);
    scheduler.runImmediates();
    await log.complete();
    expect(outcomes).toEqual([
      { ok: false, retryable: true, message: 'storage unavailable; not committed, retry' },
      { ok: false, retryable: true, message: 'storage unavailable; not committed, retry' },
    ]);
    expect(committed).toEqual([]);
  });

  it('logs a run of commits failing alike once, and how many there were once one succeeds', async () => {
    const lines: string[] = [];
    const line = (level: string) => (_: object, msg?: string) => lines.push(`${level} ${msg}`);
    const logger = { info: line('info'), warn: line('warn'), error: line('error') };
    const { scheduler, log, submit } = setup(10, undefined, logger);
    log.fail = new LogWriteError('the JetStream cluster did not acknowledge the event (status 503)');
    for (let i = 0; i < 3; i++) {
      submit(1);
      scheduler.runImmediates();
      await log.complete();
    }
    expect(lines).toEqual(['error group commit failed']);
    log.fail = null;
    submit(1);
    scheduler.runImmediates();
    await log.complete();
    expect(lines).toEqual(['error group commit failed', 'warn group commit failed again the same way']);
  });

  it('says the events may be in the log when the write failed after the stream may have stored them', async () => {
    const { scheduler, log, outcomes, submit } = setup();
    log.fail = new LogWriteError('committed to the stream but not yet applied on this node', { uncertain: true });
    submit(1);
    scheduler.runImmediates();
    await log.complete();
    expect(outcomes).toEqual([{ ok: false, retryable: true, message: MAY_BE_COMMITTED }]);
    expect(MAY_BE_COMMITTED).toMatch(/may be in the log: retry with the same producer ids/);
  });

  it("hands each batch's token back with its outcome; one producer's throwing callback costs no one else an ack", async () => {
    const { scheduler, log, ingress } = setup();
    const seen: [string, number][] = [];
    const done = (outcome: SubmitOutcome, token: string) => {
      if (token === 'b') throw new Error('a producer bug');
      seen.push([token, outcome.ok ? outcome.records[0]!.offset : -1]);
    };
    for (const token of ['a', 'b', 'c']) expect(ingress.submit([input(0)], done, token)).toBeNull();
    scheduler.runImmediates();
    await log.complete();
    expect(seen).toEqual([
      ['a', 1],
      ['c', 3],
    ]);
  });

  it('close refuses new batches and resolves once what was accepted is committed', async () => {
    const { log, outcomes, submit, ingress } = setup();
    submit(1);
    let closed = false;
    const closing = ingress.close().then(() => (closed = true));
    expect(submit(1)).toBe('stopping');
    await Promise.resolve();
    expect(closed).toBe(false);
    await log.complete();
    await closing;
    expect(outcomes).toHaveLength(1);
  });
});

type Step =
  | { readonly kind: 'submit'; readonly events: number }
  | { readonly kind: 'turn' | 'complete' }
  | { readonly kind: 'fail'; readonly error: 'refusal' | 'uncertain' | 'other' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('submit' as const), events: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constantFrom('turn' as const, 'complete' as const) }),
  fc.record({ kind: fc.constant('fail' as const), error: fc.constantFrom('refusal', 'uncertain', 'other') }),
);

const failure = (error: 'refusal' | 'uncertain' | 'other'): Error =>
  error === 'other'
    ? new Error('disk on fire')
    : new LogWriteError('write failed', error === 'refusal' ? { refusal: true } : { uncertain: true });

describe('GroupCommit under any interleaving of submits, turns, commits and failures', () => {
  it('answers each accepted batch once, refuses only past the bound, and commits dense offsets one commit at a time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const { scheduler, log, committed, ingress } = setup(6);
        const answers: SubmitOutcome[][] = [];
        let most = 0;
        const run = async (s: Step) => {
          if (s.kind === 'submit') {
            const queued = ingress.queued;
            const mine: SubmitOutcome[] = [];
            const refusal = ingress.submit(
              Array.from({ length: s.events }, (_, i) => input(i)),
              (outcome) => mine.push(outcome),
            );
            // Refused only when something waits and this batch would pass the bound; a refused batch is never answered.
            expect(refusal === null).toBe(queued === 0 || queued + s.events <= 6);
            if (refusal === null) answers.push(mine);
          } else if (s.kind === 'turn') scheduler.runImmediates();
          else {
            log.fail = s.kind === 'fail' ? failure(s.error) : null;
            await log.complete();
            log.fail = null;
          }
          most = Math.max(most, log.waitingCommits);
        };
        for (const s of steps) await run(s);
        const closing = ingress.close();
        for (let i = 0; i < 100 && log.waitingCommits > 0; i++) await run({ kind: 'complete' });
        await closing;
        expect(most).toBeLessThanOrEqual(1);
        for (const mine of answers) expect(mine).toHaveLength(1);
        const okOffsets: number[] = [];
        for (const [outcome] of answers) {
          if (outcome!.ok) okOffsets.push(...outcome!.records.map((r) => r.offset));
          else expect(outcome).toMatchObject({ ok: false, retryable: true, message: expect.any(String) });
        }
        // Offsets are handed out only by commits that succeeded: dense, in the order the batches were accepted.
        expect(okOffsets).toEqual(Array.from({ length: log.head }, (_, i) => i + 1));
        expect(committed.flat()).toEqual(okOffsets);
      }),
      { numRuns: 500 },
    );
  });
});
