import type { BackoffOptions } from './backoff.js';

/**
 * What a numeric option may be: a count (an integer ≥ 1), a duration (a finite number of ms ≥ 0), a timer (a
 * duration a timer waits, so at most MAX_TIMER_MS) or a timeout (a duration > 0: a zero delivery timeout would fail
 * every publish at once; a longer one than a timer waits works, the watchdog re-arms).
 */
export type NumberRule = 'count' | 'ms' | 'timer' | 'timeout';

const EXPECTED: Readonly<Record<NumberRule, string>> = {
  count: 'an integer ≥ 1',
  ms: 'a finite number of milliseconds ≥ 0',
  timer: 'a finite number of milliseconds ≥ 0',
  timeout: 'a finite number of milliseconds > 0',
};

function fits(value: unknown, rule: NumberRule): boolean {
  if (typeof value !== 'number') return false;
  if (rule === 'count') return Number.isInteger(value) && value >= 1;
  return Number.isFinite(value) && (rule === 'timeout' ? value > 0 : value >= 0);
}

/** A value as an error message shows it: numbers as written, strings quoted, objects as JSON where they have one. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    const json = JSON.stringify(value) ?? 'an object';
    return json.length > 80 ? `${json.slice(0, 79)}…` : json;
  } catch {
    return Array.isArray(value) ? 'an array' : 'an object';
  }
}

/**
 * Throw a RangeError naming the first numeric option of `options` that breaks its rule (absent ones take their
 * defaults), or a `timer` duration longer than a timer can wait. Hint: a zero window or a NaN timeout would otherwise
 * leave a publish or a subscription waiting forever.
 */
export function checkNumbers(options: object, rules: Readonly<Record<string, NumberRule>>, prefix = ''): void {
  for (const [name, rule] of Object.entries(rules)) {
    const value: unknown = Reflect.get(options, name);
    const got = typeof value === 'number' ? String(value) : typeof value;
    if (value !== undefined && !fits(value, rule))
      throw new RangeError(`${prefix}${name}: must be ${EXPECTED[rule]}, got ${got}`);
    if (rule === 'timer' && typeof value === 'number' && value > MAX_TIMER_MS)
      throw new RangeError(
        `${prefix}${name}: must be at most ${MAX_TIMER_MS} ms (the longest a timer waits), got ${got}`,
      );
  }
}

/** The longest a timer can wait, in ms: Node runs a longer one after 1 ms (with a TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * What a non-numeric option must be: a string, a function, an object, or an object with these methods. `number`
 * options are checkNumbers' and `checked` ones have checks of their own; both are only listed here as known.
 */
export type KindRule = 'string' | 'function' | 'object' | 'number' | 'checked' | readonly string[];

/** The options of `backoff`, for checkKinds. */
export const BACKOFF_KINDS = { initialMs: 'number', maxMs: 'number' } as const satisfies Record<
  keyof BackoffOptions,
  KindRule
>;

/** The methods a `scheduler` option must have. */
export const SCHEDULER_METHODS = ['now', 'setTimeout', 'clearTimeout'] as const;

function kindFits(value: unknown, rule: KindRule): boolean {
  if (rule === 'number' || rule === 'checked') return true;
  if (rule === 'string' || rule === 'function') return typeof value === rule;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return rule === 'object' || rule.every((method) => typeof Reflect.get(value, method) === 'function');
}

function kindText(rule: KindRule): string {
  if (typeof rule === 'string') return rule === 'object' ? 'an object' : `a ${rule}`;
  return `an object with ${rule.slice(0, -1).join(', ')} and ${rule.at(-1)} methods`;
}

/**
 * Throw a TypeError unless `options` is an object whose every key is one of `rules` and whose every value given fits
 * its rule, naming the option (`what`: whose options they are). Hint: a typo (`filter` for `filters`) would otherwise
 * be ignored and widen a subscription to every event, and a value of the wrong type would fail far from its cause.
 */
export function checkKinds(
  options: unknown,
  rules: Readonly<Record<string, KindRule>>,
  what: string,
  prefix = '',
): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(
      `${what} options: must be an object such as { url: 'http://localhost:8001' }, got ${shown(options)}`,
    );
  const known = Object.keys(rules);
  const unknown = Object.keys(options).find((key) => !known.includes(key));
  if (unknown !== undefined)
    throw new TypeError(`${prefix}${unknown}: not an option of ${what}; expected ${known.join(', ')}`);
  for (const [name, rule] of Object.entries(rules)) {
    const value: unknown = Reflect.get(options, name);
    if (value !== undefined && !kindFits(value, rule))
      throw new TypeError(`${prefix}${name}: must be ${kindText(rule)}, got ${shown(value)}`);
  }
}

/**
 * The error for a `ready(events)` count that is not an integer ≥ 0, else null. Hint: `ready('3')` and `ready(-1)`
 * resolved at once, so a caller's back-pressure silently did nothing.
 */
export function readyCountError(events: unknown): RangeError | null {
  if (typeof events === 'number' && Number.isSafeInteger(events) && events >= 0) return null;
  return new RangeError(`ready: events must be an integer ≥ 0, got ${shown(events)}`);
}
