import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type GroupOutcome, LogWriteError } from '../src/persistence/eventLog.js';
import { releaseWriterWorker, takeWriterWorker, WRITER_YOUNG_GENERATION_MB } from '../src/persistence/writerWorker.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { writerLogs } from './support/writerLogs.js';

const logs = writerLogs('thread', 'writer-thread-');
const open = logs.open;

afterEach(() => {
  logs.cleanup();
});

function input(session: string, id: string | null = null): EventInput {
  return { id, event_type: 'quiz_started', source: 'svc', session_id: session, user_id: null, payloadJson: '{"n":1}' };
}

function appended(outcomes: GroupOutcome[]): number[] {
  return outcomes.flatMap((o) => (o.ok ? o.appended.map((r) => r.offset) : []));
}

describe('SqliteEventLog with a writer thread', () => {
  it('keeps offsets dense across concurrent async commits, visible to reads only once they landed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 12 }), async (sizes) => {
        const { log } = open();
        const head = log.headOffset();
        const commits = sizes.map((n) => log.commit([Array.from({ length: n }, (_, i) => input(`s${i % 3}`))]));
        // Nothing is visible before its commit landed.
        expect(log.headOffset()).toBe(head);
        const offsets = appended((await Promise.all(commits)).flat());
        const total = sizes.reduce((a, b) => a + b, 0);
        expect(offsets).toEqual(Array.from({ length: total }, (_, i) => head + 1 + i));
        expect(log.headOffset()).toBe(head + total);
        expect(log.readFrom(1, {}, 1_000).map((r) => r.offset)).toEqual(offsets);
        expect(log.readFrom(1, { session_id: 's1' }, 1_000).every((r) => r.session_id === 's1')).toBe(true);
        log.close();
      }),
      { numRuns: 8 },
    );
  });

  it("runs the writer isolate with a young generation of WRITER_YOUNG_GENERATION_MB, not V8's 48 MiB", () => {
    const { path } = open();
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(8);
    const worker = takeWriterWorker({
      path,
      synchronous: 'NORMAL',
      cacheKiB: 1_024,
      autocheckpointPages: null,
      signal,
      port: port2,
    });
    expect(worker.resourceLimits?.maxYoungGenerationSizeMb).toBe(WRITER_YOUNG_GENERATION_MB);
    expect(WRITER_YOUNG_GENERATION_MB).toBeLessThan(48);
    worker.postMessage('close');
    expect(Atomics.wait(new Int32Array(signal), 1, 0, 10_000)).not.toBe('timed-out');
    port1.close();
    releaseWriterWorker(worker);
  });

  it('resolves a producer id sent by an async commit and resent by the next one to the first record', async () => {
    const { log } = open();
    const first = log.commit([[input('a', 'p-1')]]);
    const second = log.commit([[input('a', 'p-1')]]);
    const [[a], [b]] = await Promise.all([first, second]);
    expect(a?.ok && b?.ok).toBe(true);
    if (!a?.ok || !b?.ok) return;
    expect(b.records[0]).toEqual(a.records[0]);
    expect(b.appended).toEqual([]);
    expect(log.headOffset()).toBe(1);
  });

  it('after the writer thread dies: unhealthy, commits rejected as retryable, and every acked event survives', async () => {
    const { log, path } = open();
    const acked = appended(await log.commit([[input('a'), input('b')]]));
    log.crashWriterForTest();
    const deadline = Date.now() + 10_000;
    while (log.health().writable && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(log.health()).toEqual({ writable: false, reason: expect.stringContaining('writer thread') });
    await expect(log.commit([[input('c')]])).rejects.toBeInstanceOf(LogWriteError);
    expect(() => log.appendGroups([[input('d')]])).toThrow(LogWriteError);
    expect(log.readFrom(1, {}, 100).map((r) => r.offset)).toEqual(acked);
    log.close();
    const reopened = open(path).log;
    expect(reopened.readFrom(1, {}, 100).map((r) => r.offset)).toEqual(acked);
    expect(appended(await reopened.commit([[input('e')]]))).toEqual([acked.length + 1]);
  });

  it('rejects a commit the dying writer thread never answered as uncertain (it may have landed), not as not committed', async () => {
    const { log } = open();
    // The crash is queued ahead of the commit: the thread ends without answering it.
    log.crashWriterForTest();
    const failure = await log.commit([[input('a')]]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LogWriteError);
    expect((failure as LogWriteError).uncertain).toBe(true);
    expect((failure as LogWriteError).message).toMatch(/^the log writer thread exited .*the commit may have landed$/);
    // Once the thread is known dead, a commit is never sent: certainly not committed.
    const refused = await log.commit([[input('b')]]).catch((error: unknown) => error);
    expect((refused as LogWriteError).uncertain).toBe(false);
    log.close();
  });

  it('fails a commit as not committed when its writer thread cannot open the log, instead of dying for good', async () => {
    const { log, path } = open();
    // The directory goes before the thread's first commit: the thread starts, and its open fails.
    rmSync(dirname(path), { recursive: true, force: true });
    const failure = await log.commit([[input('a')]]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LogWriteError);
    expect((failure as LogWriteError).uncertain).toBe(false);
    expect((failure as LogWriteError).reason).toMatch(/^the log writer thread could not start: .*directory/);
    // Refused at once for a while (no new thread per commit), as not committed: the thread is not taken for dead.
    const again = await log.commit([[input('b')]]).catch((error: unknown) => error);
    expect((again as LogWriteError).uncertain).toBe(false);
    expect((again as LogWriteError).reason).toBe((failure as LogWriteError).reason);
    log.close();
  });

  it('settles commits in flight before deleteBefore and close, so the head is never saved backwards', async () => {
    const { log, path } = open();
    const pending = log.commit([[input('a'), input('b'), input('c')]]);
    expect(log.deleteBefore(undefined)).toBe(3);
    expect(appended(await pending)).toEqual([1, 2, 3]);
    const more = log.commit([[input('d')]]);
    log.close();
    expect(appended(await more)).toEqual([4]);
    const reopened = open(path).log;
    expect(reopened.headOffset()).toBe(4);
    expect(appended(reopened.appendGroups([[input('e')]]))).toEqual([5]);
  });

  it('queues a session status and snapshot save made while a commit is in flight behind it: listed next, kept after reopen', async () => {
    const { log, path } = open();
    const pending = log.commit([[input('a'), input('b'), input('c')]]);
    log.saveSessionStatuses([{ session_id: 'a', status: 'active', offset: 1 }], 1);
    log.noteSessionsFolded(3);
    log.saveSessionStatuses([{ session_id: 'c', status: 'ended', offset: 3 }], undefined, [
      { session_id: 'c', snapshot: '{"c":3}' },
    ]);
    expect(log.listSessions(undefined, 10)).toEqual([
      { session_id: 'c', status: 'ended', offset: 3 },
      { session_id: 'a', status: 'active', offset: 1 },
    ]);
    expect(appended(await pending)).toEqual([1, 2, 3]);
    log.close();
    const reopened = open(path).log;
    expect(reopened.sessionsFoldedUpTo()).toBe(3);
    expect(reopened.listSessions('ended', 10)).toEqual([{ session_id: 'c', status: 'ended', offset: 3 }]);
    expect(reopened.savedSession('c')).toEqual({ status: 'ended', snapshot: '{"c":3}' });
  });

  it('says so when a queued status save is lost with the writer thread, and the high-water stays unsaved for the run', async () => {
    const notices: string[] = [];
    const { log, path } = open(undefined, { onNotice: (notice) => notices.push(notice) });
    const pending = log.commit([[input('a')]]);
    log.crashWriterForTest();
    log.saveSessionStatuses([{ session_id: 'a', status: 'active', offset: 1 }], 1);
    await expect(pending).resolves.toHaveLength(1);
    const deadline = Date.now() + 10_000;
    while (notices.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(notices).toEqual([expect.stringMatching(/^session statuses were not saved \(the log writer thread exited/)]);
    // A later save lands (inline now), but may not move the high-water past the lost row.
    log.saveSessionStatuses([{ session_id: 'b', status: 'ended', offset: 1 }], 1);
    log.close();
    const reopened = open(path).log;
    // The projection never claimed offset 1: the next start folds it from the log.
    expect(reopened.sessionsFoldedUpTo()).toBe(0);
    expect(reopened.listSessions(undefined, 10)).toEqual([{ session_id: 'b', status: 'ended', offset: 1 }]);
    expect(reopened.headOffset()).toBe(1);
  });
});
