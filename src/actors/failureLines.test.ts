import { describe, expect, it } from 'vitest';
import { LogWriteError } from '../persistence/eventLog.js';
import { FailureLines } from './failureLines.js';
import type { Logger } from './logger.js';

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const line = (level: string) => (obj: object, msg?: string) => {
    const { err, ...rest } = obj as { err?: Error };
    lines.push(`${level} ${msg} ${err === undefined ? JSON.stringify(rest) : `err=${err.message}`}`);
  };
  return { logger: { info: line('info'), warn: line('warn'), error: line('error') }, lines };
}

describe('FailureLines', () => {
  it('logs the first of a run of equal failures with its error, and the count of the rest once they stop', () => {
    const { logger, lines } = capture();
    const failures = new FailureLines(logger, 'group commit failed');
    for (let i = 0; i < 8; i++) failures.failed(new Error('not acknowledged (status 503)'));
    expect(lines).toEqual(['error group commit failed err=not acknowledged (status 503)']);
    failures.ended();
    failures.ended();
    expect(lines.slice(1)).toEqual([
      'warn group commit failed again the same way {"times":7,"reason":"not acknowledged (status 503)"}',
    ]);
  });

  it('logs a different failure at once, after the count of the run before it', () => {
    const { logger, lines } = capture();
    const failures = new FailureLines(logger, 'group commit failed');
    failures.failed(new Error('a'));
    failures.failed(new Error('a'));
    failures.failed(new Error('b'));
    failures.failed(new Error('a'));
    expect(lines).toEqual([
      'error group commit failed err=a',
      'warn group commit failed again the same way {"times":1,"reason":"a"}',
      'error group commit failed err=b',
      'error group commit failed err=a',
    ]);
  });

  it('logs an expected LogWriteError (no cause) by its message alone, without the stack; one with a cause keeps it', () => {
    const { logger, lines } = capture();
    const failures = new FailureLines(logger, 'group commit failed');
    failures.failed(
      new LogWriteError('the JetStream cluster did not acknowledge the event (no answer)', { uncertain: true }),
    );
    failures.failed(new LogWriteError('disk full', { cause: new Error('SQLITE_FULL') }));
    expect(lines).toEqual([
      'error group commit failed {"reason":"the JetStream cluster did not acknowledge the event (no answer)"}',
      'error group commit failed err=disk full',
    ]);
  });
});
