import { describe, expect, it } from 'vitest';
import { closePlan, connectionRefused, keyPlaceHint, upgradeClientError, upgradeRefusal } from './closePlan.js';
import { SubscriptionRejectedError } from './errors.js';

describe('upgradeRefusal', () => {
  it('is the status of a refused upgrade: ws error text on a 1006 close', () => {
    expect(upgradeRefusal(1006, 'Unexpected server response: 401')).toBe(401);
    expect(upgradeRefusal(1006, 'Unexpected server response: 403')).toBe(403);
  });

  it('is null for a close reason that merely mentions 401 or 403, or another status', () => {
    const reasons = [
      'slow consumer; resume with from_offset=401',
      'slow consumer; resume with from_offset=403',
      'internal error at offset 401',
      '401',
      'Unexpected server response: 401',
    ];
    for (const code of [1000, 1001, 1011, 4008, 4009]) {
      for (const reason of reasons) expect(upgradeRefusal(code, reason), `${code} ${reason}`).toBeNull();
    }
    expect(upgradeRefusal(1006, 'Unexpected server response: 429')).toBeNull();
    expect(upgradeRefusal(1006, 'read ECONNRESET after 401 bytes')).toBeNull();
  });
});

describe('closePlan on a reason naming 401 or 403', () => {
  it('reconnects after a 4008, 4009, 1011 or 1000 close whose reason names offset 401 or 403', () => {
    for (const code of [4008, 4009, 1011, 1000]) {
      for (const offset of [401, 403]) {
        const reason = `slow consumer; resume with from_offset=${offset}`;
        expect(
          closePlan(code, reason, null, 0, { backoff: { initialMs: 20 }, random: () => 1 }),
          `${code} ${reason}`,
        ).toEqual({
          delayMs: 20,
        });
      }
    }
  });

  it('gives up on a refused key or Origin: neither changes by reconnecting', () => {
    for (const [status, what] of [
      [401, 'the server refused the API key'],
      [403, 'the server refused access'],
    ] as const) {
      const plan = closePlan(1006, `Unexpected server response: ${status}`, null, 0);
      const fatal = 'fatal' in plan ? plan.fatal : null;
      expect(fatal).toBeInstanceOf(SubscriptionRejectedError);
      expect(fatal?.message).toBe(`${what} (${status})`);
    }
  });
});

describe('upgradeClientError', () => {
  it('is the 4xx of a refused upgrade that retrying the same URL cannot change', () => {
    for (const status of [400, 404, 405, 410])
      expect(upgradeClientError(1006, `Unexpected server response: ${status}`)).toBe(status);
  });
  it('is null for 408 and 429 (later may work), 5xx, other closes and reasons that merely mention 404', () => {
    for (const status of [408, 429, 500, 502, 503])
      expect(upgradeClientError(1006, `Unexpected server response: ${status}`)).toBeNull();
    expect(upgradeClientError(1011, 'Unexpected server response: 404')).toBeNull();
    expect(upgradeClientError(1006, 'slow consumer; resume with from_offset=404')).toBeNull();
    expect(upgradeClientError(1006, 'Unexpected server response: 4040')).toBeNull();
  });
});

describe('closePlan on an upgrade answered 404', () => {
  const notFound = 'Unexpected server response: 404';
  it('gives up before any subscription was made: the URL is wrong', () => {
    const plan = closePlan(1006, notFound, null, 0, {}, true);
    const fatal = 'fatal' in plan ? plan.fatal : null;
    expect(fatal).toBeInstanceOf(SubscriptionRejectedError);
    expect(fatal?.message).toBe(
      'the server refused the WebSocket upgrade (404), and no subscription has been made: check the url option',
    );
  });
  it('reconnects once subscribed: a proxy may answer 404 while the server redeploys', () => {
    expect(closePlan(1006, notFound, null, 3, { backoff: { initialMs: 20, maxMs: 100 }, random: () => 1 })).toEqual({
      delayMs: 100,
    });
  });
});

describe('closePlan with the answer of a refused upgrade', () => {
  const answer = (status: number, detail: string | null = null, retryAfterMs: number | null = null) => ({
    status,
    detail,
    retryAfterMs,
  });
  it('fails with the status and the server reason, from a platform socket whose close said nothing', () => {
    const plan = closePlan(1006, 'connection error', null, 0, {}, false, answer(401, 'Invalid or missing API key'));
    const fatal = 'fatal' in plan ? plan.fatal : null;
    expect(fatal).toBeInstanceOf(SubscriptionRejectedError);
    expect(fatal).toMatchObject({
      status: 401,
      message: 'the server refused the API key (401: Invalid or missing API key)',
    });
    expect(closePlan(1006, 'x', null, 0, {}, true, answer(404, 'Not Found'))).toMatchObject({ fatal: { status: 404 } });
  });
  it('waits what a 429 asked (Retry-After), and at least the crowded backoff', () => {
    const options = { backoff: { initialMs: 10, maxMs: 5_000 }, random: () => 0 };
    expect(closePlan(1006, 'x', null, 0, options, false, answer(429, 'slow down', 7_000))).toEqual({ delayMs: 7_000 });
    expect(closePlan(1006, 'x', null, 0, options, false, answer(429, 'slow down'))).toEqual({ delayMs: 500 });
    expect(closePlan(1006, 'x', null, 0, options, false, answer(503, 'files', 1_000))).toEqual({ delayMs: 1_000 });
  });
  it('has no status for a subscribe message the server refused', () => {
    const plan = closePlan(1008, 'subscribe message refused', { message: 'source: bad', retryable: false }, 0);
    expect(plan).toMatchObject({ fatal: { status: undefined, field: 'source' } });
  });
});

describe('the refusal of a key by an unmarked 401 (a server of this project from before 2026-12-04)', () => {
  const unmarked = (status: number) =>
    ({ status, detail: 'Invalid or missing API key', retryAfterMs: null, unmarked: true }) as const;
  const hint =
    "; a server of this project older than 2026-12-04 23:01 UTC reads the key only from ?api_key= (apiKeyIn: 'query')";
  const said = "the API key was refused (401: Invalid or missing API key) by an answer not marked as the pipeline's";
  it('says where else the key may go when it went in Sec-WebSocket-Protocol, for the subscriber and the publisher', () => {
    for (const apiKeyIn of [undefined, 'protocol'] as const) {
      const target = { apiKey: 'k', ...(apiKeyIn === undefined ? {} : { apiKeyIn }) };
      const plan = closePlan(1006, 'x', null, 0, target, true, unmarked(401));
      expect('fatal' in plan ? plan.fatal.message : null).toBe(`${said} (no X-Upgrade-Refusal)${hint}`);
      expect(connectionRefused(unmarked(401), target).message).toBe(`${said} (no X-Upgrade-Refusal)${hint}`);
    }
  });
  it('says nothing of it for a key sent in the query, no key, a marked 401 or a 403', () => {
    expect(keyPlaceHint(unmarked(401), { apiKey: 'k', apiKeyIn: 'query' })).toBe('');
    expect(keyPlaceHint(unmarked(401), { apiKey: ' \t' })).toBe('');
    expect(keyPlaceHint(unmarked(401), {})).toBe('');
    expect(keyPlaceHint({ status: 401, detail: null, retryAfterMs: null }, { apiKey: 'k' })).toBe('');
    expect(keyPlaceHint(unmarked(403), { apiKey: 'k' })).toBe('');
    expect(connectionRefused(unmarked(401), { apiKey: 'k', apiKeyIn: 'query' }).message).not.toContain('apiKeyIn');
  });
});
