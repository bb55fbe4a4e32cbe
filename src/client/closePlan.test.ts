import { describe, expect, it } from 'vitest';
import { closePlan, upgradeClientError, upgradeRefusal } from './closePlan.js';
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
    for (const [status, word] of [
      [401, 'unauthorized'],
      [403, 'forbidden'],
    ] as const) {
      const plan = closePlan(1006, `Unexpected server response: ${status}`, null, 0);
      const fatal = 'fatal' in plan ? plan.fatal : null;
      expect(fatal).toBeInstanceOf(SubscriptionRejectedError);
      expect(fatal?.message).toBe(`${word}: Unexpected server response: ${status}`);
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
    expect(fatal?.message).toBe(`${notFound}, and no subscription has been made: check the url option`);
  });
  it('reconnects once subscribed: a proxy may answer 404 while the server redeploys', () => {
    expect(closePlan(1006, notFound, null, 3, { backoff: { initialMs: 20, maxMs: 100 }, random: () => 1 })).toEqual({
      delayMs: 100,
    });
  });
});
