import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ErrorLines } from './errorLines.js';
import { UnsettledLines } from './unsettledLines.js';

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

  it('groups differing messages of one group (invalid JSON at each position) into one line, showing the first', () => {
    const stderr = new PassThrough();
    const lines = new ErrorLines({ stderr }, 'lines');
    for (let line = 3; line <= 5_002; line++)
      lines.add(line, `invalid JSON: Unexpected token at ${line}`, 'invalid JSON');
    lines.add(5_003, 'not valid UTF-8');
    lines.add(5_004, 'invalid JSON: Unexpected end', 'invalid JSON');
    lines.flush();
    expect(String(stderr.read())).toBe(
      'lines 3–5002 (5,000 lines): invalid JSON (the first: Unexpected token at 3)\n' +
        'line 5003: not valid UTF-8\nline 5004: invalid JSON: Unexpected end\n',
    );
  });

  it('writes failures in line order, each once every line before it has settled', () => {
    const stderr = new PassThrough();
    const lines = new ErrorLines({ stderr });
    const unsettled = new UnsettledLines();
    for (const line of [1, 3, 4, 5]) unsettled.handed(line);
    lines.add(2, 'invalid JSON: x', 'invalid JSON', 'lines');
    lines.release(unsettled.lowest());
    expect(stderr.read()).toBeNull();
    lines.add(5, 'source: is required');
    unsettled.settled(5);
    lines.add(4, 'source: is required');
    unsettled.settled(4);
    lines.release(unsettled.lowest());
    expect(stderr.read()).toBeNull();
    unsettled.settled(1);
    lines.add(3, 'not acknowledged');
    unsettled.settled(3);
    expect(unsettled.lowest()).toBe(Number.POSITIVE_INFINITY);
    lines.release(unsettled.lowest());
    lines.flush();
    expect(String(stderr.read())).toBe(
      'line 2: invalid JSON: x\nline 3: not acknowledged\nlines 4–5 (2 events): source: is required\n',
    );
  });
});
