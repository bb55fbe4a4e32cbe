import { preview } from './issue.js';

/** Hint: RFC 3339 lets `T` and `Z` be lower case (a probe's `before=2000-01-01t00:00:00z` was refused). */
const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+\- ]\d{2}:?\d{2})?)?$/;

/**
 * Parse an ISO 8601 timestamp to epoch milliseconds; a missing zone means UTC. Null when invalid. Records are stamped
 * in whole milliseconds, so a finer time is rounded the way its bound needs (`round`): `DELETE ?before=…05.058123Z`
 * must take a record of …05.058 (up: the bound is exclusive), and so must `until` (down, the default).
 */
export function parseIsoTimestamp(text: string, round: 'down' | 'up' = 'down'): number | null {
  const match = ISO_PATTERN.exec(text.trim());
  if (!match) return null;
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = match;
  const millis = fraction.padEnd(3, '0').slice(0, 3);
  // Hint: `+01:00` sent unencoded in a query string arrives as ` 01:00` (a `+` there is a space); only a zone can be.
  const signed = zone.startsWith(' ') ? `+${zone.slice(1)}` : zone.toUpperCase();
  const normalizedZone =
    signed === 'Z' ? 'Z' : signed.length === 5 ? `${signed.slice(0, 3)}:${signed.slice(3)}` : signed;
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${normalizedZone}`);
  if (Number.isNaN(ms)) return null;
  // Hint: Date.parse rolls 2026-02-31 over to March; reject dates that do not round-trip.
  // Hint: setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999 (0000-02-29 exists, 1900-02-29 does not).
  const check = new Date(0);
  check.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  if (check.getUTCMonth() !== Number(month) - 1 || check.getUTCDate() !== Number(day)) return null;
  return round === 'up' && /[1-9]/.test(fraction.slice(3)) ? ms + 1 : ms;
}

/** Why a query's timestamp was refused (GET /events since/until, DELETE /events before). */
export function invalidTimestamp(text: string): string {
  return `invalid timestamp ${preview(text)}; use ISO 8601, e.g. 2026-01-31T12:00:00Z`;
}
