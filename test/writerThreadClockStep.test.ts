import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../src/protocol/eventInput.js';
import { writerLogs } from './support/writerLogs.js';

const logs = writerLogs('thread', 'writer-clock-step-');

afterEach(() => {
  vi.restoreAllMocks();
  logs.cleanup();
});

function input(session: string): EventInput {
  return { id: null, event_type: 'quiz_started', source: 'svc', session_id: session, user_id: null, payloadJson: '{}' };
}

/**
 * Another connection that holds the log's write lock (flag 0 turns 1 once it does) until flag 1 is set, or for at
 * most `holdMs`: a commit sent meanwhile is certainly unanswered when the I/O thread starts waiting for it.
 */
const LOCK_HOLDER = `
const { workerData } = require('node:worker_threads');
const db = new (require(workerData.driver))(workerData.path);
const flags = new Int32Array(workerData.flags);
db.exec('BEGIN IMMEDIATE');
Atomics.store(flags, 0, 1);
Atomics.notify(flags, 0);
Atomics.wait(flags, 1, 0, workerData.holdMs);
db.exec('COMMIT');
db.close();
`;

describe('the log writer thread, when the system clock steps while a commit is in flight', () => {
  it('keeps waiting for the commit on the monotonic clock: a wall clock stepping forward does not declare it dead', async () => {
    const { log, path } = logs.open();
    const [first] = await log.commit([[input('a')]]);
    expect(first?.ok).toBe(true);
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const holder = new Worker(LOCK_HOLDER, {
      eval: true,
      workerData: { driver, path, flags: flags.buffer, holdMs: 500 },
    });
    const ended = new Promise((resolve) => holder.once('exit', resolve));
    expect(Atomics.wait(flags, 0, 0, 10_000)).not.toBe('timed-out');
    const commit = log.commit([[input('b')]]).then(
      (outcomes) => outcomes[0],
      (error: unknown) => error,
    );
    // A wall clock an hour further on at every reading (a probe saw this with a clock flipping every 30 ms).
    const real = Date.now();
    let readings = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => real + ++readings * 3_600_000);
    try {
      // Hint: a synchronous read that first settles the commits in flight (blocks until the lock holder lets go).
      log.listSessions(undefined, 10);
    } finally {
      vi.restoreAllMocks();
      Atomics.store(flags, 1, 1);
      Atomics.notify(flags, 1);
    }
    await ended;
    // Before: settle's 30 s bound was read on the wall clock, so the thread was declared dead ("stopped answering"),
    // this commit failed as "may have landed", and every later one failed until a restart.
    expect(await commit).toMatchObject({ ok: true });
    expect(log.health()).toEqual({ writable: true, reason: null });
    const [third] = await log.commit([[input('c')]]);
    expect(third?.ok).toBe(true);
    expect(log.headOffset()).toBe(3);
  });
});
