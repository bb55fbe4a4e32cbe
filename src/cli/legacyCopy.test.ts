import { describe, expect, it } from 'vitest';
import { skippedLine } from './legacyCopy.js';

describe('skippedLine', () => {
  const row = {
    rowid: 7,
    id: 'e7',
    event_type: 'timer_tick',
    source: 's',
    session_id: null,
    user_id: null,
    payload: '{}',
    timestamp: '',
  };

  it('names the row and each issue', () => {
    expect(skippedLine(row, [{ field: 'payload', message: 'is not JSON text but a BLOB of 7 bytes' }])).toBe(
      'migrate-legacy: skipped rowid 7 (id "e7"): payload: is not JSON text but a BLOB of 7 bytes',
    );
  });

  it('cuts a long field path in the middle, keeping its start and end', () => {
    const field = `payload.a${'[0]'.repeat(1_000)}`;
    const line = skippedLine(row, [{ field, message: 'is nested deeper than 32' }]);
    expect(line.length).toBeLessThan(250);
    expect(line).toContain('payload.a[0][0]');
    expect(line).toContain(`…(${field.length - 119} characters)…`);
    expect(line.endsWith('[0][0]: is nested deeper than 32')).toBe(true);
  });
});
