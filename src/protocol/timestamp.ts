import { preview } from './issue.js';

/**
 * A date in ISO 8601's calendar (`2026-12-07`, `20261207`) or week form (`2026-W49`, `2026-W49-1`, `2026W491`).
 * Hint: the FastAPI service read these with Python's `fromisoformat`, which takes every one; only extended calendar
 * dates were taken here (a probe's `20261207T100000Z` and `2026-W49-1`: 400 here, 200 there).
 */
const DATE = /^(\d{4})(?:-(\d{2})-(\d{2})|(\d{2})(\d{2})|-W(\d{2})(?:-([1-7]))?|W(\d{2})([1-7])?)/;
/** A time: `10`, `10:30`, `1030`, `10:30:15`, `103015`, then a fraction after `.` or `,`; one separator throughout. */
const TIME = /^(\d{2})(?:(:?)(\d{2})(?:\2(\d{2})(?:[.,](\d+))?)?)?/;
/**
 * A zone, or none (UTC): `Z` (RFC 3339 lets it be lower case), or an offset `±HH`, `±HHMM`, `±HH:MM`, `±HH:MM:SS`. Hint: `+01:00`
 * sent unencoded in a query string arrives as ` 01:00` (a `+` there is a space); only a zone can be.
 */
const ZONE = /^(?:[Zz]|([+\- ])(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?)?$/;

/** Days from 1970-01-01 to `year`-`month`-`day` (month 1-12), or null when that day does not exist. */
function epochDay(year: number, month: number, day: number): number | null {
  // Hint: setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999 (0000-02-29 exists, 1900-02-29 not).
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.getTime() / 86_400_000;
}

/** Days from 1970-01-01 to day `weekday` (1 Monday) of ISO week `week` of `year`, or null when that week does not exist. */
function weekDay(year: number, week: number, weekday: number): number | null {
  const jan4 = epochDay(year, 1, 4)!;
  // Hint: 1970-01-01 was a Thursday; week 1 is the week holding 4 January.
  const monday = jan4 - ((((jan4 + 3) % 7) + 7) % 7);
  const nextMonday = epochDay(year + 1, 1, 4)! - ((((epochDay(year + 1, 1, 4)! + 3) % 7) + 7) % 7);
  if (week < 1 || monday + (week - 1) * 7 >= nextMonday) return null;
  return monday + (week - 1) * 7 + (weekday - 1);
}

/** The day a DATE match names, in days from 1970-01-01; null when it does not exist (year 0 included, as in Python). */
function dayOf(m: RegExpExecArray): number | null {
  const year = Number(m[1]);
  if (year === 0) return null;
  if (m[2] !== undefined || m[4] !== undefined) return epochDay(year, Number(m[2] ?? m[4]), Number(m[3] ?? m[5]));
  return weekDay(year, Number(m[6] ?? m[8]), Number(m[7] ?? m[9] ?? 1));
}

/** Milliseconds east of UTC a ZONE match names; null when out of range. */
function offsetOf(m: RegExpExecArray): number | null {
  if (m[1] === undefined) return 0;
  const [h, min, s] = [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  if (h > 23 || min > 59 || s > 59) return null;
  return (m[1] === '-' ? -1 : 1) * ((h * 60 + min) * 60 + s) * 1000;
}

/**
 * Parse an ISO 8601 timestamp to epoch milliseconds; a missing zone means UTC, a missing time midnight. Null when
 * invalid. Records are stamped in whole milliseconds, so a finer time is rounded the way its bound needs (`round`):
 * `DELETE ?before=…05.058123Z` must take a record of …05.058 (up: the bound is exclusive), and so must `until` (down).
 */
export function parseIsoTimestamp(text: string, round: 'down' | 'up' = 'down'): number | null {
  // Hint: not trimmed: Python's fromisoformat refused white space around it (a probe: ` 2026-12-07` was taken here).
  const date = DATE.exec(text);
  if (date === null) return null;
  const day = dayOf(date);
  const rest = text.slice(date[0].length);
  if (day === null) return null;
  if (rest === '') return day * 86_400_000;
  // Hint: RFC 3339 lets the `T` be lower case, or a space.
  if (!/^[Tt ]/.test(rest)) return null;
  const time = TIME.exec(rest.slice(1));
  const zone = time === null ? null : ZONE.exec(rest.slice(1 + time[0].length));
  if (time === null || zone === null) return null;
  const [, hh, , mm = '00', ss = '00', fraction = ''] = time;
  const [h, min, s] = [Number(hh), Number(mm), Number(ss)];
  // Hint: ISO 8601's 24:00:00 is the end of a day (the next one's midnight).
  if (min > 59 || s > 59 || (h > 23 && !(h === 24 && min === 0 && s === 0 && !/[1-9]/.test(fraction)))) return null;
  const offset = offsetOf(zone);
  if (offset === null) return null;
  const ms = day * 86_400_000 + ((h * 60 + min) * 60 + s) * 1000 + Number(fraction.padEnd(3, '0').slice(0, 3)) - offset;
  return round === 'up' && /[1-9]/.test(fraction.slice(3)) ? ms + 1 : ms;
}

/**
 * What part of an ISO-shaped `text` names no instant: white space around it, a signed or zero year, a day the calendar
 * lacks, a time of day that does not exist, a leap second, an offset out of range; null when it is not ISO-shaped that far. Hint (probe): `2026-02-30T10:00:00Z`
 * and `…23:59:60Z` were refused as if they were no ISO 8601 at all.
 */
function whatIsWrong(text: string): string | null {
  if (/^\s/.test(text))
    return 'white space before it: a "+" sent unencoded in a query string reads as a space, so send it as %2B';
  if (/\s$/.test(text)) return 'white space after it';
  if (/^[+-]\d{4}/.test(text)) return 'a sign before the year: only years 0001-9999, without a sign, are taken';
  const date = DATE.exec(text);
  if (date === null) return null;
  if (Number(date[1]) === 0) return 'year 0 is out of range: years 0001-9999 are taken';
  if (dayOf(date) === null) return `${date[0]} is no day of the calendar`;
  const rest = text.slice(date[0].length);
  const time = /^[Tt ]/.test(rest) ? TIME.exec(rest.slice(1)) : null;
  if (time === null) return null;
  const [h, min, s] = [Number(time[1]), Number(time[3] ?? 0), Number(time[4] ?? 0)];
  if (s === 60 && min === 59 && h === 23) return 'second 60: leap seconds are not taken (the log counts none)';
  const pastMidnight = h === 24 && (min + s > 0 || /[1-9]/.test(time[5] ?? ''));
  if (h > 24 || min > 59 || s > 59 || pastMidnight) return `${time[0]} is no time of day`;
  const zone = ZONE.exec(rest.slice(1 + time[0].length));
  if (zone !== null && offsetOf(zone) === null) return `offset ${zone[0].trim()} is out of range (at most 23:59:59)`;
  return null;
}

/** Why a query's timestamp was refused (GET /events since/until, DELETE /events before). */
export function invalidTimestamp(text: string): string {
  const wrong = whatIsWrong(text);
  return `invalid timestamp ${preview(text)}${wrong === null ? '' : ` (${wrong})`}; use ISO 8601, e.g. 2026-01-31T12:00:00Z`;
}
