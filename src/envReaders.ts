// Reading one environment variable: its text or the settings table's default, checked, or a ConfigError naming it.
import { fallbackOf, rangeOf } from './settings.js';

/** Thrown when an environment variable cannot be understood; names the variable and the reason. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The variable's text, or the settings table's default when it is unset or blank. */
export function text(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? fallbackOf(name) : value;
}

/** A comma-separated list; unlike other settings, an empty value is kept (it means "none"). */
export function list(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? fallbackOf(name))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A whole number within the setting's range (SETTINGS), digits only. */
export function integer(env: NodeJS.ProcessEnv, name: string): number {
  const { min, max } = rangeOf(name);
  const value = text(env, name);
  // Hint: digits only, so "1e3", "0x10" and "12abc" are refused rather than silently read as something else.
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`${name} must be an integer ${range} (got ${JSON.stringify(env[name])})`);
  }
  return number;
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
/** Every spelling `bool` takes, as its error lists them ("true/false, 1/0, yes/no or on/off"). */
const SPELLINGS = TRUE.map((yes, i) => `${yes}/${FALSE[i]}`);
const ACCEPTED = `${SPELLINGS.slice(0, -1).join(', ')} or ${SPELLINGS.at(-1)}`;

/** A boolean setting: true/false, 1/0, yes/no or on/off, in any case; the error lists every one of them. */
export function bool(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = text(env, name).toLowerCase();
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new ConfigError(`${name} must be ${ACCEPTED}, in any case (got ${JSON.stringify(env[name])})`);
}

/** One of `allowed` (any case), or an alias of one; the error lists them all, aliases too. */
export function oneOf<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  allowed: readonly T[],
  aliases: Readonly<Record<string, T>> = {},
): T {
  const given = text(env, name).toLowerCase();
  const value = aliases[given] ?? given;
  const found = allowed.find((option) => option === value);
  if (found === undefined) {
    const options = allowed.map((option) => `"${option}"`);
    const expected = options.length === 2 ? options.join(' or ') : `one of ${options.join(', ')}`;
    const named = Object.entries(aliases).map(([alias, option]) => `"${alias}" (${option})`);
    const also = named.length === 0 ? '' : `, or ${named.join(', ')}`;
    throw new ConfigError(`${name} must be ${expected}${also} (got ${JSON.stringify(env[name])})`);
  }
  return found;
}
