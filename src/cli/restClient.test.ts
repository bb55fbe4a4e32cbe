import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detailText } from './restClient.js';

describe('detailText', () => {
  it("reads the server's detail string and its list of field messages", () => {
    expect(detailText('{"detail":"Session not found"}')).toBe('Session not found');
    const issues = [
      { loc: ['query', 'status'], msg: 'status: must be one of active, ended (got "x")', type: 'value_error' },
      { loc: ['query', 'limit'], msg: 'limit: must be an integer from 1 to 1000 (got "0")', type: 'value_error' },
    ];
    expect(detailText(JSON.stringify({ detail: issues }))).toBe(
      'status: must be one of active, ended (got "x"); limit: must be an integer from 1 to 1000 (got "0")',
    );
  });

  it('gives any other body back as sent', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((value) => JSON.stringify(value)),
        ),
        (body) => {
          const parsed = (() => {
            try {
              return JSON.parse(body) as unknown;
            } catch {
              return undefined;
            }
          })();
          const hasDetail = typeof parsed === 'object' && parsed !== null && 'detail' in parsed;
          if (!hasDetail) expect(detailText(body)).toBe(body);
        },
      ),
    );
  });
});
