import { describe, expect, it } from 'vitest';
import type { SessionStatusRow } from '../persistence/eventLog.js';
import type { SessionStatus } from '../protocol/sessionStatus.js';
import { ManualScheduler } from './manualScheduler.js';
import { type ListedSessions, SessionListing } from './sessionListing.js';
import { emptySessionContext } from './sessionMachine.js';
import { type SessionView, toView } from './sessionView.js';

/**
 * Sessions as a listing sees them, the worst case for sharing: a session is listed only once folded, and a fold
 * ends exactly at the offset it was asked for, after `foldSlices` more slices.
 */
class FakeSessions implements ListedSessions {
  routed = 0;
  folded = 0;
  foldSlices = 0;
  readonly statuses = new Map<string, SessionStatus>();
  /** Each read of rows: its status and bound. */
  readonly reads: [string | undefined, number][] = [];
  private readonly offsets = new Map<string, number>();

  /** A session with a new record routed (not folded yet). */
  publish(sessionId: string, status: SessionStatus): void {
    this.offsets.set(sessionId, ++this.routed);
    this.statuses.set(sessionId, status);
  }

  routedUpTo(): number {
    return this.routed;
  }

  foldUntil(upTo: number): boolean {
    if (this.foldSlices > 0 && this.foldSlices--) return false;
    this.folded = Math.max(this.folded, upTo);
    return true;
  }

  listRows(status: string | undefined, limit: number): readonly SessionStatusRow[] {
    this.reads.push([status, limit]);
    return [...this.offsets]
      .filter(([id, offset]) => offset <= this.folded && (status === undefined || this.statuses.get(id) === status))
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([session_id, offset]) => ({ session_id, status: this.statuses.get(session_id)!, offset }));
  }

  listedView(sessionId: string): SessionView {
    return toView(this.statuses.get(sessionId)!, emptySessionContext(sessionId));
  }
}

/** A listing over fake sessions on a manual scheduler whose monotonic clock moves 1 ms a reading: ~4 views a slice. */
function setup(sessions = 30) {
  const scheduler = new ManualScheduler();
  let ticks = 0;
  scheduler.monotonic = () => (ticks += 1);
  const fake = new FakeSessions();
  for (let i = 0; i < sessions; i++) fake.publish(`s${i}`, i % 2 === 0 ? 'in_progress' : 'completed');
  fake.folded = fake.routed;
  const listing: SessionListing = new SessionListing(fake, scheduler, () => listing.step());
  const order: string[] = [];
  const answers = new Map<string, string[]>();
  const failures = new Map<string, unknown>();
  /** Ask a listing named `name`; its ids land in `answers` (or its error in `failures`), its name in `order`. */
  const ask = (name: string, status: SessionStatus | undefined, limit: number) =>
    listing.request({
      status,
      limit,
      answer: (result) => {
        order.push(name);
        if (result.ok)
          answers.set(
            name,
            result.value.map((v) => v.session_id),
          );
        else failures.set(name, result.error);
      },
    });
  return { scheduler, fake, listing, order, answers, failures, ask };
}

/** The ids a listing built in one go now gives: newest first, of `status`, at most `limit`. */
const newest = (fake: FakeSessions, status: SessionStatus | undefined, limit: number) =>
  fake.listRows(status, limit).map((row) => row.session_id);

describe('SessionListing shares a job among identical listings (manual scheduler, fake sessions)', () => {
  it('answers N identical listings asked while its fold goes on with one job, each with its own rows', () => {
    const { scheduler, fake, order, answers, ask } = setup();
    fake.foldSlices = 3;
    for (let i = 0; i < 8; i++) ask(`same${i}`, undefined, 20);
    ask('small', undefined, 3);
    ask('other', 'completed', 5);
    expect(order).toEqual([]);
    scheduler.runImmediates();
    expect(fake.reads).toEqual([
      [undefined, 20],
      ['completed', 5],
    ]);
    for (let i = 0; i < 8; i++) expect(answers.get(`same${i}`)).toEqual(newest(fake, undefined, 20));
    expect(answers.get('small')).toEqual(newest(fake, undefined, 3));
    expect(answers.get('other')).toEqual(newest(fake, 'completed', 5));
    // The small one is answered once its three views are built, before the rest of the job's.
    expect(order[0]).toBe('small');
    expect(order.at(-1)).toBe('other');
  });

  it('widens a waiting job to a larger bound that joins it, and answers the smaller with its prefix', () => {
    const { scheduler, fake, answers, ask } = setup();
    fake.foldSlices = 1;
    ask('first', 'in_progress', 2);
    ask('wider', 'in_progress', 12);
    scheduler.runImmediates();
    expect(fake.reads).toEqual([['in_progress', 12]]);
    expect(answers.get('first')).toEqual(newest(fake, 'in_progress', 2));
    expect(answers.get('wider')).toEqual(newest(fake, 'in_progress', 12));
  });

  it('gives a listing asked after a record was routed a job of its own, even while the fold goes on', () => {
    const { scheduler, fake, answers, ask } = setup();
    fake.foldSlices = 2;
    ask('before', undefined, 5);
    fake.publish('late', 'created');
    ask('after', undefined, 5);
    scheduler.runImmediates();
    expect(fake.reads).toHaveLength(2);
    // The first job folded up to where it began, so its rows lack `late`; the second's were read after it was routed.
    expect(answers.get('before')).not.toContain('late');
    expect(answers.get('after')).toEqual(['late', ...(answers.get('before') ?? []).slice(0, 4)]);
  });

  it('gives a listing asked after a job read its rows a job of its own, though nothing was routed since', () => {
    const { scheduler, fake, answers, ask } = setup();
    ask('building', undefined, 20);
    // Its rows were read in its first slice; its views take several more.
    expect(fake.reads).toHaveLength(1);
    expect(scheduler.pendingImmediates).toBe(1);
    ask('later', undefined, 20);
    scheduler.runImmediates();
    expect(fake.reads).toHaveLength(2);
    expect(answers.get('later')).toEqual(answers.get('building'));
  });

  it('lets a listing join a job still waiting for its turn after records were routed: it folds them when it starts', () => {
    const { scheduler, fake, answers, ask } = setup();
    ask('busy', 'completed', 15);
    ask('waiting', undefined, 5);
    fake.publish('late', 'created');
    ask('joined', undefined, 5);
    scheduler.runImmediates();
    expect(fake.reads).toEqual([
      ['completed', 15],
      [undefined, 5],
    ]);
    expect(answers.get('waiting')).toEqual(newest(fake, undefined, 5));
    expect(answers.get('joined')).toEqual(answers.get('waiting'));
    expect(answers.get('joined')?.[0]).toBe('late');
  });

  it('fails every listing sharing a job when it stops, and answers later ones at once', () => {
    const { scheduler, fake, listing, failures, ask } = setup();
    fake.foldSlices = 2;
    ask('a', undefined, 10);
    ask('b', undefined, 3);
    ask('c', 'ended', 3);
    listing.stop();
    ask('d', undefined, 10);
    scheduler.runImmediates();
    for (const name of ['a', 'b', 'c', 'd'])
      expect(failures.get(name)).toMatchObject({ message: 'server shutting down; retry shortly' });
    expect(fake.reads).toEqual([]);
  });
});
