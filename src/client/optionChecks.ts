/**
 * What a numeric option may be: a count (an integer ≥ 1), a duration (a finite number of ms ≥ 0) or a timeout (a
 * duration > 0: a zero delivery timeout would fail every publish at once).
 */
export type NumberRule = 'count' | 'ms' | 'timeout';

const EXPECTED: Readonly<Record<NumberRule, string>> = {
  count: 'an integer ≥ 1',
  ms: 'a finite number of milliseconds ≥ 0',
  timeout: 'a finite number of milliseconds > 0',
};

function fits(value: unknown, rule: NumberRule): boolean {
  if (typeof value !== 'number') return false;
  if (rule === 'count') return Number.isInteger(value) && value >= 1;
  return Number.isFinite(value) && (rule === 'ms' ? value >= 0 : value > 0);
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
 * defaults). Hint: a zero window or a NaN timeout would otherwise leave a publish or a subscription waiting forever.
 */
export function checkNumbers(options: object, rules: Readonly<Record<string, NumberRule>>, prefix = ''): void {
  for (const [name, rule] of Object.entries(rules)) {
    const value: unknown = Reflect.get(options, name);
    if (value === undefined || fits(value, rule)) continue;
    const got = typeof value === 'number' ? String(value) : typeof value;
    throw new RangeError(`${prefix}${name}: must be ${EXPECTED[rule]}, got ${got}`);
  }
}
