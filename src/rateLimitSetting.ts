// RATE_LIMIT_* in the notation the old service's slowapi took: the Python `limits` library's rate-limit strings.
import { ConfigError, text } from './envReaders.js';

/** One limit: at most `count` requests per `windowMs` per client; `per` names the window ("minute", "2 minutes"). */
export interface RateWindow {
  readonly count: number;
  readonly windowMs: number;
  readonly per: string;
}

/** A RATE_LIMIT_* setting: every limit it names, in its order; a request over any one of them is refused. */
export type RateLimit = readonly [RateWindow, ...RateWindow[]];

/** What `parseRateLimit` makes of a setting: the limit (null: none), or why the text is not one. */
export type RateLimitParse = { readonly limit: RateLimit | null } | { readonly issue: string };

/**
 * The units `limits` knows, each also taken with a plural "s", in any case. Hint: a Map, so "constructor" or
 * "__proto__" is no unit; `limits` counts a month as 30 days and a year as 12 such months.
 */
const UNIT_MS: ReadonlyMap<string, number> = new Map([
  ['second', 1_000],
  ['minute', 60_000],
  ['hour', 3_600_000],
  ['day', 86_400_000],
  ['month', 30 * 86_400_000],
  ['year', 360 * 86_400_000],
]);

/** `limits`' SEPARATORS: several limits in one string are joined by any of these. */
const SEPARATOR = /[,;|]/;

/** `limits`' SINGLE_EXPR: a count, "/" or "per", an optional multiple and a unit, with spaces anywhere between. */
const SINGLE = /^\s*(\d+)\s*(?:\/|per)\s*(\d+)?\s*([a-z]+)\s*$/i;

/** The forms RATE_LIMIT_* accept, as the error for any other text lists them. */
export const RATE_LIMIT_FORMS =
  '"100/minute", "100 per minute", "5/2minutes" or "200/minute;5000/hour" (a count per second, minute, hour, day, ' +
  'month or year, singular or plural, or per N of them; several limits separated by ";", "," or "|", each enforced), ' +
  'or "off"';

/** The unit a word names, singular or plural, in any case; undefined for any other word. */
function unitMs(word: string): { readonly unit: string; readonly ms: number } | undefined {
  const lower = word.toLowerCase();
  const unit = UNIT_MS.has(lower) ? lower : lower.endsWith('s') ? lower.slice(0, -1) : lower;
  const ms = UNIT_MS.get(unit);
  return ms === undefined ? undefined : { unit, ms };
}

/** One limit of the string, or why it is not one. */
function parseWindow(part: string): RateWindow | string {
  const match = SINGLE.exec(part);
  if (match === null) return `${JSON.stringify(part.trim())} is not a count per unit`;
  const [, countText = '', multipleText, word = ''] = match;
  const unit = unitMs(word);
  if (unit === undefined) return `"${word}" is not a unit`;
  const count = Number(countText);
  // Hint: a count past 2^53 would be read rounded (and counted past without effect): refused like any integer setting.
  if (!Number.isSafeInteger(count)) return `the count ${countText} is too large`;
  // Hint: `limits` reads a multiple of 0 ("5/0minutes") as 1, so it is one here too.
  const multiple = Number(multipleText ?? '1') || 1;
  const windowMs = unit.ms * multiple;
  if (!Number.isSafeInteger(windowMs)) return `${multiple} ${unit.unit}s is too long a window`;
  return { count, windowMs, per: multiple === 1 ? unit.unit : `${multiple} ${unit.unit}s` };
}

/**
 * Reads every form `limits` parses ("200/minute;5000/hour", "600 per 1 minute", "5/2minutes", "100per minute"),
 * plus this server's own: a bare count per minute, and "0" or "off" for no limit. "0/minute" refuses every request,
 * as it did in the old service.
 */
export function parseRateLimit(value: string): RateLimitParse {
  const trimmed = value.trim();
  if (trimmed.toLowerCase() === 'off' || /^0+$/.test(trimmed)) return { limit: null };
  const parts = /^\d+$/.test(trimmed) ? [`${trimmed}/minute`] : trimmed.split(SEPARATOR);
  const windows: RateWindow[] = [];
  for (const [index, part] of parts.entries()) {
    // Hint: `limits`' EXPR reads "(:?" where it meant "(?:", so a colon may end any limit but the last.
    const window = parseWindow(index < parts.length - 1 && part.endsWith(':') ? part.slice(0, -1) : part);
    if (typeof window === 'string') return { issue: window };
    windows.push(window);
  }
  const [first, ...rest] = windows;
  return first === undefined ? { issue: 'no limit given' } : { limit: [first, ...rest] };
}

/** The RATE_LIMIT_* variable `name`: its limit, null when it is off, or a ConfigError listing the forms it takes. */
export function readRateLimit(env: NodeJS.ProcessEnv, name: string): RateLimit | null {
  const parsed = parseRateLimit(text(env, name));
  if ('limit' in parsed) return parsed.limit;
  throw new ConfigError(
    `${name} must look like ${RATE_LIMIT_FORMS} (got ${JSON.stringify(env[name])}: ${parsed.issue})`,
  );
}
