import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { invalidTimestamp, parseIsoTimestamp } from './timestamp.js';

/** Any instant of the years 0001-9999, the range the parser takes. */
const anyDate = fc.date({
  min: new Date('0001-01-01T00:00:00Z'),
  max: new Date('9999-12-31T23:59:59.999Z'),
  noInvalidDate: true,
});

describe('parseIsoTimestamp', () => {
  it('parses UTC timestamps with and without fractions', () => {
    expect(parseIsoTimestamp('2026-01-31T12:34:56Z')).toBe(Date.UTC(2026, 0, 31, 12, 34, 56));
    expect(parseIsoTimestamp('2026-01-31T12:34:56.789Z')).toBe(Date.UTC(2026, 0, 31, 12, 34, 56, 789));
    expect(parseIsoTimestamp('2026-01-31T12:34:56.7Z')).toBe(Date.UTC(2026, 0, 31, 12, 34, 56, 700));
    // Hint: sub-millisecond digits are truncated, not rounded.
    expect(parseIsoTimestamp('2026-01-31T12:34:56.123999999Z')).toBe(Date.UTC(2026, 0, 31, 12, 34, 56, 123));
  });

  it('rounds a sub-millisecond time up only when asked (a lower bound), and only when it is past the millisecond', () => {
    const at = Date.UTC(2026, 0, 31, 12, 34, 56, 123);
    expect(parseIsoTimestamp('2026-01-31T12:34:56.123000001Z', 'up')).toBe(at + 1);
    expect(parseIsoTimestamp('2026-01-31T12:34:56.1235Z', 'up')).toBe(at + 1);
    expect(parseIsoTimestamp('2026-01-31T12:34:56.123000Z', 'up')).toBe(at);
    expect(parseIsoTimestamp('2026-01-31T12:34:56.123Z', 'up')).toBe(at);
    expect(parseIsoTimestamp('2026-01-31T12:34:56.1235Z', 'down')).toBe(at);
  });

  it('treats a missing zone as UTC and a missing time as midnight', () => {
    expect(parseIsoTimestamp('2026-01-31T12:34:56')).toBe(Date.UTC(2026, 0, 31, 12, 34, 56));
    expect(parseIsoTimestamp('2026-01-31T12:34')).toBe(Date.UTC(2026, 0, 31, 12, 34));
    expect(parseIsoTimestamp('2026-01-31')).toBe(Date.UTC(2026, 0, 31));
    expect(parseIsoTimestamp('2026-01-31 12:34:56')).toBe(Date.UTC(2026, 0, 31, 12, 34, 56));
  });

  it('reads a lower-case t and z as RFC 3339 allows', () => {
    const at = Date.UTC(2026, 0, 31, 12, 34, 56, 500);
    for (const text of ['2026-01-31t12:34:56.5z', '2026-01-31T12:34:56.5z', '2026-01-31t12:34:56.5Z'])
      expect(parseIsoTimestamp(text), text).toBe(at);
    expect(parseIsoTimestamp('2026-01-31t13:34:56.5+01:00')).toBe(at);
    expect(parseIsoTimestamp('2026-01-31x12:34:56z')).toBeNull();
  });

  it('applies zone offsets with or without a colon', () => {
    const noon = Date.UTC(2026, 0, 31, 12);
    expect(parseIsoTimestamp('2026-01-31T13:00:00+01:00')).toBe(noon);
    expect(parseIsoTimestamp('2026-01-31T13:00:00+0100')).toBe(noon);
    expect(parseIsoTimestamp('2026-01-31T07:30:00-04:30')).toBe(noon);
  });

  it('reads a space where the sign of a zone offset belongs as "+" (an unencoded "+" in a query string)', () => {
    const noon = Date.UTC(2026, 0, 31, 12);
    expect(parseIsoTimestamp('2026-01-31T13:00:00 01:00')).toBe(noon);
    expect(parseIsoTimestamp('2026-01-31 13:00:00.000 0100')).toBe(noon);
    expect(parseIsoTimestamp('2026-01-31T13:00:00 1:00')).toBeNull();
  });

  it("reads ISO 8601's basic format, week dates and shorter times as the old service's Python fromisoformat did", () => {
    // Expected values from Python 3.11: datetime.fromisoformat(text.replace('Z', '+00:00')), naive read as UTC.
    const python: [string, number][] = [
      ['20261207T100000Z', 1796637600000],
      ['20261207', 1796601600000],
      ['2026-W49-1', 1795996800000],
      ['2026W491', 1795996800000],
      ['2026-W49', 1795996800000],
      ['2026W49T10', 1796032800000],
      ['2026-W49-1T10:30', 1796034600000],
      ['2026-W53-1', 1798416000000],
      ['2020-W53-7', 1609632000000],
      ['2026-12-07T10', 1796637600000],
      ['2026-12-07T10Z', 1796637600000],
      ['2026-12-07T1000', 1796637600000],
      ['20261207T10:00:00', 1796637600000],
      ['2026-12-07T10:00:00,5Z', 1796637600500],
      ['2026-12-07T10:00:00.1234567Z', 1796637600123],
      ['2026-12-07T10:00:00+01', 1796634000000],
      ['2026-12-07T10:00:00+0130', 1796632200000],
      ['2026-12-07T10:00:00+01:30:15', 1796632185000],
      ['2026-12-07T10:00:00-0530', 1796657400000],
      ['2026-12-07T100000.5+0100', 1796634000500],
      ['2026-12-07T10:00:00-00:00', 1796637600000],
    ];
    for (const [text, ms] of python) expect(parseIsoTimestamp(text), text).toBe(ms);
    // Python refuses these too (a week 0 or day 8, a week 53 in a 52-week year, a bare year or month, an ordinal date).
    for (const text of ['2026-W00-1', '2026-W49-8', '2025-W53-1', '2026-12', '2026', '2026-341', '2026-12-0710:00'])
      expect(parseIsoTimestamp(text), text).toBeNull();
    for (const text of ['2026-12-07T1:00', '2026-12-07T10:0', '2026-12-07T10:00:00.', '2026-12-07T10:00:00+24:00'])
      expect(parseIsoTimestamp(text), text).toBeNull();
  });

  it('reads a week date as the day it names, for any day', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1, 0, 1) / 86_400_000, max: Date.UTC(9998, 0, 1) / 86_400_000 }),
        (day) => {
          const date = new Date(day * 86_400_000);
          const weekday = ((date.getUTCDay() + 6) % 7) + 1;
          // The ISO week's year is the year of its Thursday; its week number counts Thursdays from 1 January.
          const thursday = new Date((day - weekday + 4) * 86_400_000);
          const year = thursday.getUTCFullYear();
          const jan1 = new Date(0);
          jan1.setUTCFullYear(year, 0, 1);
          const week = Math.floor((thursday.getTime() - jan1.getTime()) / (7 * 86_400_000)) + 1;
          const text = `${String(year).padStart(4, '0')}-W${String(week).padStart(2, '0')}-${weekday}`;
          expect(parseIsoTimestamp(text), text).toBe(day * 86_400_000);
          expect(parseIsoTimestamp(text.replaceAll('-', ''))).toBe(day * 86_400_000);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('rejects dates that do not exist instead of rolling them over', () => {
    for (const text of [
      '2026-02-31',
      '2026-02-29T00:00:00Z',
      '2026-04-31',
      '2026-13-01',
      '2026-00-10',
      '2026-01-00',
      '1900-02-29',
    ]) {
      expect(parseIsoTimestamp(text), text).toBeNull();
    }
    expect(parseIsoTimestamp('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoTimestamp('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
  });

  it('accepts leap days in years 1 to 99, which Date.UTC maps to 1901 to 1999', () => {
    expect(parseIsoTimestamp('0004-02-29')).toBe(Date.parse('0004-02-29T00:00:00Z'));
    expect(parseIsoTimestamp('0096-02-29T10:00:00Z')).toBe(Date.parse('0096-02-29T10:00:00Z'));
    expect(parseIsoTimestamp('0001-02-29')).toBeNull();
  });

  it("refuses year 0, as Python's fromisoformat did (`year 0 is out of range`), in every form", () => {
    // Hint: a probe: since=0000-01-01 answered 200 here, where the old service answered 400.
    for (const text of [
      '0000-01-01',
      '0000-02-29T00:00:00Z',
      '00000101',
      '0000-W01-1',
      '0000W011',
      '0000-12-31T23:00-01:00',
    ])
      expect(parseIsoTimestamp(text), text).toBeNull();
    expect(parseIsoTimestamp('0001-01-01')).toBe(Date.parse('0001-01-01T00:00:00Z'));
    expect(parseIsoTimestamp('0001-W01-1')).toBe(Date.parse('0001-01-01T00:00:00Z'));
  });

  it("refuses a space or other white space before or after the timestamp, as Python's fromisoformat did", () => {
    // Hint: a probe: since=%202026-12-07, until=2026-12-07%20 and since=+2026-12-07 (its `+` read as a space)
    // answered 200 here; Python said `Invalid isoformat string`. A zone's `+` read as a space is still taken.
    for (const text of [' 2026-12-07', '2026-12-07 ', '\t2026-12-07', '2026-12-07\n', ' 2026-12-07T10:00:00 01:00'])
      expect(parseIsoTimestamp(text), JSON.stringify(text)).toBeNull();
    fc.assert(
      fc.property(
        anyDate,
        fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2028', '\ufeff'),
        fc.boolean(),
        (date, space, before) => {
          const text = before ? space + date.toISOString() : date.toISOString() + space;
          expect(parseIsoTimestamp(text)).toBeNull();
          expect(invalidTimestamp(text)).toContain(before ? ' (white space before it' : ' (white space after it');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects malformed text', () => {
    for (const text of [
      '',
      'yesterday',
      '2026-1-31',
      '2026/01/31',
      '2026-01-31T25:00:00Z',
      '2026-01-31T12:60:00Z',
      '2026-01-31T12:00:00+1',
      '1769860800000',
      '2026-01-31Z',
    ]) {
      expect(parseIsoTimestamp(text), text).toBeNull();
    }
  });

  it('round-trips every toISOString output', () => {
    fc.assert(
      fc.property(anyDate, (date) => {
        expect(parseIsoTimestamp(date.toISOString())).toBe(date.getTime());
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the same instant written in any whole-minute zone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (ms, offsetMinutes) => {
          const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(parseIsoTimestamp(local + zone)).toBe(ms);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('invalidTimestamp', () => {
  it('names what part of an ISO-shaped timestamp names no instant', () => {
    const cases: [string, string][] = [
      ['2026-02-30T10:00:00Z', ' (2026-02-30 is no day of the calendar)'],
      ['2016-12-31T23:59:60Z', ' (second 60: leap seconds are not taken (the log counts none))'],
      ['2026-12-07T25:00:00Z', ' (25:00:00 is no time of day)'],
      ['2026-12-07T24:00:01Z', ' (24:00:01 is no time of day)'],
      ['2026-12-07T10:60Z', ' (10:60 is no time of day)'],
      ['2026-12-07T10:59:60Z', ' (10:59:60 is no time of day)'],
      ['2026-12-07T24:00:00.5Z', ' (24:00:00.5 is no time of day)'],
      ['2026-12-07T10:00:00+24:00', ' (offset +24:00 is out of range (at most 23:59:59))'],
      ['2026-W54-1', ' (2026-W54-1 is no day of the calendar)'],
      ['0000-01-01', ' (year 0 is out of range: years 0001-9999 are taken)'],
      ['0000-W01-1T10:00Z', ' (year 0 is out of range: years 0001-9999 are taken)'],
      [
        ' 2026-12-07',
        ' (white space before it: a "+" sent unencoded in a query string reads as a space, so send it as %2B)',
      ],
      ['2026-12-07 ', ' (white space after it)'],
      ['+2026-12-07', ' (a sign before the year: only years 0001-9999, without a sign, are taken)'],
      ['-0001-12-07', ' (a sign before the year: only years 0001-9999, without a sign, are taken)'],
      ['last-week', ''],
      ['2026-12-07Tnoon', ''],
    ];
    for (const [text, why] of cases) {
      expect(parseIsoTimestamp(text)).toBeNull();
      expect(invalidTimestamp(text)).toBe(`invalid timestamp "${text}"${why}; use ISO 8601, e.g. 2026-01-31T12:00:00Z`);
    }
  });

  it('says what is wrong only of timestamps parseIsoTimestamp refuses (property)', () => {
    const digits = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((v) => String(v).padStart(n, '0'));
    const iso = fc
      .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), fc.constantFrom('Z', '+05:30', '+24:00'))
      .map(([y, mo, d, h, mi, s, z]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${z}`);
    fc.assert(
      fc.property(iso, (text) => {
        if (parseIsoTimestamp(text) !== null) return true;
        return invalidTimestamp(text).includes(' (');
      }),
    );
  });
});
