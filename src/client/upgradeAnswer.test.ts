import { describe, expect, it } from 'vitest';
import {
  answerOfText,
  detailOf,
  fatalStatus,
  LONGEST_RETRY_AFTER_MS,
  refusalText,
  retryAfterOf,
} from './upgradeAnswer.js';

describe('upgradeAnswer', () => {
  it("reads a status only from ws's exact text on a 1006", () => {
    expect(answerOfText(1006, 'Unexpected server response: 429')).toEqual({
      status: 429,
      detail: null,
      retryAfterMs: null,
    });
    expect(answerOfText(4008, 'Unexpected server response: 429')).toBeNull();
    expect(answerOfText(1006, 'slow consumer; resume with from_offset=401')).toBeNull();
  });

  it("reads a body's detail, cut short and without control characters, and nothing from other bodies", () => {
    expect(detailOf('{"detail":"Invalid or missing API key"}')).toBe('Invalid or missing API key');
    expect(detailOf('{"detail":"a\\u001b[31mb\\nc"}')).toBe('a [31mb c');
    expect(detailOf(JSON.stringify({ detail: 'x'.repeat(400) }))).toBe(`${'x'.repeat(300)}…`);
    for (const body of ['<html>404</html>', '{"detail":[{"msg":"x"}]}', '{"detail":""}', '', 'null'])
      expect(detailOf(body)).toBeNull();
  });

  it('reads Retry-After in whole seconds only', () => {
    expect(retryAfterOf('3')).toBe(3_000);
    expect(retryAfterOf(' 60 ')).toBe(60_000);
    expect(retryAfterOf('300')).toBe(300_000);
    expect(retryAfterOf('86400')).toBe(LONGEST_RETRY_AFTER_MS);
    expect(retryAfterOf('99999999999')).toBe(LONGEST_RETRY_AFTER_MS);
    for (const header of [null, undefined, '', '1.5', 'Wed, 21 Oct 2026 07:28:00 GMT'])
      expect(retryAfterOf(header)).toBeNull();
  });

  it('is fatal for 401 and 403 always, for another 4xx but 408 and 429 only before any connection', () => {
    const answer = (status: number) => ({ status, detail: null, retryAfterMs: null });
    for (const status of [401, 403])
      expect([fatalStatus(answer(status), false), fatalStatus(answer(status), true)]).toEqual([status, status]);
    expect([fatalStatus(answer(404), true), fatalStatus(answer(404), false)]).toEqual([404, null]);
    for (const status of [408, 429, 500, 503]) expect(fatalStatus(answer(status), true)).toBeNull();
    expect(fatalStatus(null, true)).toBeNull();
  });

  it('is fatal for an unmarked answer (a proxy, or no pipeline at the URL) only before any connection', () => {
    for (const status of [401, 403, 404]) {
      const unmarked = { status, detail: null, retryAfterMs: null, unmarked: true as const };
      expect([fatalStatus(unmarked, true), fatalStatus(unmarked, false)], String(status)).toEqual([status, null]);
    }
  });

  it('does not blame the server for an answer it did not mark as its own', () => {
    const unmarked = (status: number) => ({
      status,
      detail: 'Forbidden by the proxy',
      retryAfterMs: null,
      unmarked: true as const,
    });
    expect(refusalText(unmarked(403))).toBe(
      "access was refused (403: Forbidden by the proxy) by an answer not marked as the pipeline's (no X-Upgrade-Refusal)",
    );
    expect(refusalText(unmarked(401))).toMatch(/^the API key was refused \(401: Forbidden by the proxy\) by an answer/);
    expect(refusalText(unmarked(404))).toMatch(
      /^the WebSocket upgrade was refused \(404: Forbidden by the proxy\) by an answer/,
    );
  });

  it('says what was refused and the server reason', () => {
    expect(refusalText({ status: 401, detail: 'Invalid or missing API key', retryAfterMs: null })).toBe(
      'the server refused the API key (401: Invalid or missing API key)',
    );
    expect(refusalText({ status: 403, detail: null, retryAfterMs: null })).toBe('the server refused access (403)');
    expect(refusalText({ status: 429, detail: 'too many', retryAfterMs: 1_000 })).toBe(
      'the server refused the WebSocket upgrade (429: too many)',
    );
  });
});
