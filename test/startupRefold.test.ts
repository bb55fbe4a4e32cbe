import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualScheduler } from '../src/actors/manualScheduler.js';
import { openTestLog } from '../src/actors/testLog.js';
import { startTestPipeline, testInput } from '../src/actors/testPipeline.js';
import { CapturingLogger } from './support/capturingLogger.js';

const NOTICE = 'folding again from the log the sessions a retention delete cut, before serving';

describe('a start with sessions queued for a refold by retention', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  /** A log in a temp dir whose first `queued` of 500 sessions wait for a refold, as a stop right after a delete leaves them. */
  async function restartWith(queued: number): Promise<CapturingLogger> {
    const dir = mkdtempSync(join(tmpdir(), 'startup-refold-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const scheduler = new ManualScheduler();
    const log = openTestLog(scheduler, cleanups, '', dir);
    const sessions = Array.from({ length: 500 }, (_, i) => `s${i}`);
    const { publish } = startTestPipeline(scheduler, cleanups, {}, '', log);
    await publish(sessions.map((s) => testInput(s, 'session_created')));
    log.sessionsToRefold(sessions.slice(0, queued));
    log.close();
    const logger = new CapturingLogger();
    startTestPipeline(scheduler, cleanups, { logger }, '', openTestLog(scheduler, cleanups, '', dir));
    return logger;
  }

  it('says so before the fold when 500 or more wait, and folds them all', async () => {
    const logger = await restartWith(500);
    const messages = logger.lines.map((line) => line.msg);
    expect(messages.indexOf(NOTICE)).toBeGreaterThanOrEqual(0);
    expect(messages.indexOf(NOTICE)).toBeLessThan(messages.indexOf('session_status caught up from the log'));
    expect(logger.lines.find((line) => line.msg === NOTICE)?.obj).toEqual({ sessions: 500 });
    expect(logger.lines.find((line) => line.msg === 'session_status caught up from the log')?.obj).toEqual({
      sessions: 500,
    });
  });

  it('folds fewer without that line', async () => {
    const logger = await restartWith(499);
    expect(logger.lines.map((line) => line.msg)).not.toContain(NOTICE);
    expect(logger.lines.map((line) => line.msg)).toContain('session_status caught up from the log');
  });
});
