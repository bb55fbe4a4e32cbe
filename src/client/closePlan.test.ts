import { describe, expect, it } from 'vitest';
import { closePlan, upgradeRefusal } from './closePlan.js';
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
          closePlan(code, reason, null, 0, { initialMs: 20 }, () => 1),
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
