import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isLossyInteger,
  lossyIntegerIn,
  lossyIntegerMessage,
  lossyIntegerPath,
  storedLossyInteger,
} from './lossyIntegers.js';
import { readPublishMessage, storedParts } from './publishMessage.js';

const TOO_LONG = '12345678901234567890';

describe('lossyIntegerIn', () => {
  it('finds an integer JSON.parse would change, outside strings, and names its field', () => {
    const text = `{"s":"${TOO_LONG}","payload":{"ids":[1,${TOO_LONG}]}}`;
    expect(lossyIntegerIn(text)).toBe(TOO_LONG);
    expect(lossyIntegerPath(JSON.parse(text), TOO_LONG)).toBe('payload.ids[1]');
    expect(lossyIntegerPath(JSON.parse(`[{"a":{"b":-${TOO_LONG}}}]`), `-${TOO_LONG}`)).toBe('[0].a.b');
    expect(lossyIntegerIn(`{"n":-${TOO_LONG}}`)).toBe(`-${TOO_LONG}`);
    expect(lossyIntegerMessage(TOO_LONG)).toBe(
      'is the integer 12345678901234567890, which a JSON number here (a 64-bit float) cannot hold: it would be ' +
        'stored as 12345678901234567000; send it as a string',
    );
  });

  it('keeps digits in strings (escaped quotes too), fractions, exponents and integers that print back the same', () => {
    expect(lossyIntegerIn(`{"s":"\\"${TOO_LONG}"}`)).toBeNull();
    expect(lossyIntegerIn(`{"f":${TOO_LONG}.5,"e":${TOO_LONG}e2,"g":1.${TOO_LONG}}`)).toBeNull();
    // As JavaScript writes the float nearest 12345678901234567890, and an exact one it writes as 1e+21.
    expect(lossyIntegerIn('{"a":12345678901234567000,"b":1000000000000000000000,"c":9007199254740993}')).toBe(
      '9007199254740993',
    );
    expect(isLossyInteger('9007199254740992')).toBe(false);
    expect(isLossyInteger('9007199254740993')).toBe(true);
    // 2^60 is a float exactly, but is stored as 1152921504606847000: an exact reader (Python) gets another integer.
    expect(isLossyInteger('1152921504606846976')).toBe(true);
    expect(isLossyInteger('-1000000000000000000000')).toBe(false);
    // Past the float range it is ±Infinity, which the non-finite check names.
    expect(isLossyInteger('9'.repeat(400))).toBe(false);
  });

  it('names no field deeper than 1,000 levels rather than overflow the stack (the body is refused for depth)', () => {
    const text = `${'['.repeat(50_000)}${TOO_LONG}${']'.repeat(50_000)}`;
    expect(lossyIntegerIn(text)).toBe(TOO_LONG);
    expect(lossyIntegerPath(JSON.parse(text), TOO_LONG)).toBe('');
  });

  it('never refuses what JSON.stringify writes (so no JavaScript producer is refused)', () => {
    const number = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(Number),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        number,
        fc.string(),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(lossyIntegerIn(JSON.stringify(v))).toBeNull();
      }),
    );
  });

  it('finds every integer beyond 2^53 that is not stored as sent, wherever it sits', () => {
    const lossy = fc.bigInt({ min: 2n ** 53n, max: 10n ** 21n - 1n }).filter((n) => String(Number(n)) !== String(n));
    fc.assert(
      fc.property(lossy, fc.boolean(), fc.nat(3), (n, negative, pad) => {
        const token = `${negative ? '-' : ''}${n}`;
        const text = `{"a":[${'0,'.repeat(pad)}{"b":${token}}],"s":"${n}"}`;
        expect(lossyIntegerIn(text)).toBe(token);
        expect(lossyIntegerPath(JSON.parse(text), token)).toBe(`a[${pad}].b`);
      }),
    );
  });
});

describe('storedLossyInteger', () => {
  const storedIn = (text: string, shapes: 'body' | 'message' = 'body') => {
    const value: unknown = JSON.parse(text);
    return storedLossyInteger(text, () => storedParts(value, readPublishMessage(value, shapes)));
  };

  it('finds one in a payload or a ref, named as sent, and none in a field that is never stored', () => {
    const ev = (extra: string) => `{"event_type":"quiz_started","source":"s",${extra}}`;
    // Before: a producer's own nanosecond `timestamp` (ignored, never stored) refused the event.
    expect(storedIn(ev(`"timestamp":${TOO_LONG},"payload":{}`))).toBeNull();
    expect(storedIn(`{"ref":1,"sent_at":${TOO_LONG},"events":[${ev('"x":1')}]}`, 'message')).toBeNull();
    expect(storedIn(ev(`"timestamp":${TOO_LONG},"payload":{"a":[${TOO_LONG}]}`))).toEqual({
      token: TOO_LONG,
      path: 'payload.a[0]',
    });
    expect(storedIn(`[${ev('"x":1')},${ev(`"payload":{"id":-${TOO_LONG}}`)}]`)?.path).toBe('[1].payload.id');
    expect(storedIn(`{"ref":${TOO_LONG},"events":[${ev('"x":1')}]}`, 'message')?.path).toBe('ref');
    expect(storedIn(`{"ref":2,"events":[${ev(`"payload":{"id":${TOO_LONG}}`)}]}`, 'message')?.path).toBe(
      'events[0].payload.id',
    );
    expect(storedIn(ev(`"ref":${TOO_LONG}`))?.path).toBe('ref');
    // JSON.parse keeps the last of duplicate keys: only that payload is stored.
    expect(storedIn(ev(`"payload":{"id":${TOO_LONG}},"payload":{}`))).toBeNull();
  });

  it('refuses exactly when the integer lands in the payload (property)', () => {
    const lossy = fc.bigInt({ min: 2n ** 53n, max: 10n ** 21n - 1n }).filter((n) => String(Number(n)) !== String(n));
    const field = fc.constantFrom('timestamp', 'payload', 'meta', 'sent_at');
    fc.assert(
      fc.property(lossy, field, fc.nat(2), (n, at, pad) => {
        const nested = `{"v":[${'0,'.repeat(pad)}${n}]}`;
        const text = `{"event_type":"quiz_started","source":"s","${at}":${nested}}`;
        const found = storedIn(text);
        expect(found).toEqual(at === 'payload' ? { token: String(n), path: `payload.v[${pad}]` } : null);
      }),
    );
  });
});
