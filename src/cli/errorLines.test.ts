import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ErrorLines } from './errorLines.js';

describe('ErrorLines', () => {
  it('writes one line per run of the same error, and each different error on its own', () => {
    const stderr = new PassThrough();
    const lines = new ErrorLines({ stderr });
    lines.add(3, 'source: is required');
    for (let line = 5; line <= 2_004; line++) lines.add(line, 'not acknowledged');
    lines.add(2_005, 'source: is required');
    lines.flush();
    expect(String(stderr.read())).toBe(
      'line 3: source: is required\nlines 5–2004 (2,000 events): not acknowledged\nline 2005: source: is required\n',
    );
  });
});
