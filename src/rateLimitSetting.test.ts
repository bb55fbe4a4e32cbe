import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './envReaders.js';
import { parseRateLimit, type RateLimitParse, readRateLimit } from './rateLimitSetting.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UNITS = { second: SECOND, minute: MINUTE, hour: HOUR, day: DAY, month: 30 * DAY, year: 360 * DAY } as const;

/** The limits parsed, as [count, windowMs] pairs, or null when the text is refused. */
function pairs(result: RateLimitParse): [number, number][] | null {
  if (!('limit' in result)) return null;
  return (result.limit ?? []).map((window) => [window.count, window.windowMs]);
}

describe('parseRateLimit', () => {
  // Hint: each accepted row was also given to the Python `limits` library (2.8.0, Debian's python3-limits) with the
  // same result; so were 70,000 generated strings, with no difference (bare counts and "off" are this server's own).
  it.each([
    [
      '200/minute;5000/hour',
      [
        [200, MINUTE],
        [5000, HOUR],
      ],
    ],
    [
      '200/minute, 5000/hour',
      [
        [200, MINUTE],
        [5000, HOUR],
      ],
    ],
    [
      '1/second|10/minute|100 per day',
      [
        [1, SECOND],
        [10, MINUTE],
        [100, DAY],
      ],
    ],
    ['600 per 1 minute', [[600, MINUTE]]],
    ['5/2minutes', [[5, 2 * MINUTE]]],
    ['5 / 2 MINUTES', [[5, 2 * MINUTE]]],
    ['100per minute', [[100, MINUTE]]],
    [
      '1 per 3 days , 2 / hour',
      [
        [1, 3 * DAY],
        [2, HOUR],
      ],
    ],
    ['1/month', [[1, 30 * DAY]]],
    ['7 per 2 Years', [[7, 720 * DAY]]],
    ['10/seconds', [[10, SECOND]]],
    // `limits`' quirks, kept: a multiple of 0 is 1, and a colon may end any limit but the last.
    ['5/0minute', [[5, MINUTE]]],
    [
      '1/second:;5/minute',
      [
        [1, SECOND],
        [5, MINUTE],
      ],
    ],
    // A count of 0 refuses every request, as in the old service.
    ['0/minute', [[0, MINUTE]]],
    // This server's own: a bare count is per minute.
    ['100', [[100, MINUTE]]],
  ])('reads %j', (text, expected) => {
    expect(pairs(parseRateLimit(text))).toEqual(expected);
  });

  it('reads "off", "0" and "00" as no limit', () => {
    for (const text of ['off', 'OFF', '0', '00']) expect(parseRateLimit(text)).toEqual({ limit: null });
  });

  it('names the window of each limit as a refusal prints it', () => {
    const result = parseRateLimit('5/2minutes;1/second;3 per 1 hour');
    expect('limit' in result ? result.limit?.map((window) => window.per) : null).toEqual([
      '2 minutes',
      'second',
      'hour',
    ]);
  });

  it.each([
    ['lots', '"lots" is not a count per unit'],
    ['5/mins', '"mins" is not a unit'],
    ['100 per fortnight', '"fortnight" is not a unit'],
    ['5/constructor', '"constructor" is not a unit'],
    ['1/second:', '"1/second:" is not a count per unit'],
    ['1/second;', '"" is not a count per unit'],
    ['1/second;;2/minute', '"" is not a count per unit'],
    ['1.5/second', '"1.5/second" is not a count per unit'],
    ['-1/second', '"-1/second" is not a count per unit'],
    ['/minute', '"/minute" is not a count per unit'],
    ['5/2', '"5/2" is not a count per unit'],
    ['5 minute', '"5 minute" is not a count per unit'],
    ['99999999999999999999999/second', 'the count 99999999999999999999999 is too large'],
    ['1/999999999 years', '999999999 years is too long a window'],
  ])('refuses %j: %s', (text, issue) => {
    expect(parseRateLimit(text)).toEqual({ issue });
  });

  const unit = fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[]));
  const space = fc.constantFrom('', ' ', '  ', '\t');
  const anyCase = (word: string) =>
    fc
      .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
      .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));
  /** One limit in any spelling `limits` takes, with the count and window it means. */
  const limit = fc
    .record({
      count: fc.nat(100_000),
      multiple: fc.option(fc.nat(1_000), { nil: undefined }),
      unit,
      plural: fc.boolean(),
      per: fc.constantFrom('/', 'per'),
      spaces: fc.array(space, { minLength: 5, maxLength: 5 }),
    })
    .chain((spec) =>
      fc
        .tuple(fc.constant(spec), anyCase(spec.per), anyCase(spec.unit + (spec.plural ? 's' : '')))
        .map(([s, per, u]) => {
          const [a = '', b = '', c = '', d = '', e = ''] = s.spaces;
          const text = `${a}${s.count}${b}${per}${c}${s.multiple ?? ''}${d}${u}${e}`;
          return { text, count: s.count, windowMs: UNITS[s.unit] * (s.multiple || 1) };
        }),
    );

  it('property: any list of limits in any of the spellings reads as those limits, in order', () => {
    const separator = fc.constantFrom(',', ';', '|', ':,', ':;', ':|');
    fc.assert(
      fc.property(fc.array(fc.tuple(limit, separator), { minLength: 1, maxLength: 4 }), (list) => {
        const text = list.map(([l, sep], i) => l.text + (i < list.length - 1 ? sep : '')).join('');
        // A bare count with spaces only ("5") is this server's shorthand, not `limits`' form: never generated here.
        expect(pairs(parseRateLimit(text))).toEqual(list.map(([l]) => [l.count, l.windowMs]));
      }),
    );
  });

  it('property: any text reads as a limit, none, or an issue, never a throw; the same in any case', () => {
    const text = fc.oneof(
      fc.string(),
      fc
        .array(fc.constantFrom('1', '20', '/', ' per ', ' ', 'minute', 'days', 'x', ',', ';', '|', ':'), {
          maxLength: 10,
        })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, (value) => {
        const result = parseRateLimit(value);
        expect('limit' in result || typeof result.issue === 'string').toBe(true);
        expect(pairs(parseRateLimit(value.toUpperCase()))).toEqual(pairs(result));
      }),
    );
  });

  it('property: two settings joined by a separator read as both, every limit enforced', () => {
    fc.assert(
      fc.property(limit, limit, fc.constantFrom(',', ';', '|'), (first, second, separator) => {
        const joined = pairs(parseRateLimit(`${first.text}${separator}${second.text}`));
        expect(joined).toEqual([
          ...(pairs(parseRateLimit(first.text)) ?? []),
          ...(pairs(parseRateLimit(second.text)) ?? []),
        ]);
      }),
    );
  });
});

describe('readRateLimit', () => {
  it('refuses other text naming the variable, every accepted form and what is wrong', () => {
    const read = () => readRateLimit({ RATE_LIMIT_ADMIN: '10/fortnight' }, 'RATE_LIMIT_ADMIN');
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(
      'RATE_LIMIT_ADMIN must look like "100/minute", "100 per minute", "5/2minutes" or "200/minute;5000/hour" ' +
        '(a count per second, minute, hour, day, month or year, singular or plural, or per N of them; several limits ' +
        'separated by ";", "," or "|", each enforced), or "off" (got "10/fortnight": "fortnight" is not a unit)',
    );
  });

  it('is off when unset or blank (the default), and reads the setting otherwise', () => {
    expect(readRateLimit({}, 'RATE_LIMIT_QUERY')).toBeNull();
    expect(readRateLimit({ RATE_LIMIT_QUERY: '  ' }, 'RATE_LIMIT_QUERY')).toBeNull();
    expect(readRateLimit({ RATE_LIMIT_QUERY: '600 per 1 minute' }, 'RATE_LIMIT_QUERY')).toEqual([
      { count: 600, windowMs: MINUTE, per: 'minute' },
    ]);
  });
});
