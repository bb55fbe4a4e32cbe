import { closingQuote } from './textDepth.js';

/**
 * Integers that JSON.parse would change. A JSON number here is a 64-bit float, so an integer token such as
 * `12345678901234567890` (a 64-bit id from another system) parses to 12345678901234567168 and would be stored as
 * `12345678901234567000`: silently another value. The old service (Python) kept such integers exactly; this one
 * refuses them, naming the field, rather than store something the producer never sent.
 */

/** Integer tokens of up to 15 digits are always exact; only a run of 16 digits or more can be lossy. */
const LONG_DIGITS = /\d{16}/;

/**
 * The first integer token outside strings in JSON `text` that would be stored as another number (isLossyInteger),
 * or null. Hint: one native regex test decides for almost every message.
 */
export function lossyIntegerIn(text: string): string | null {
  for (const token of lossyTokens(text)) return token;
  return null;
}

/** A lossy integer JSON.parse put in a stored part of a message, and the field holding it (`payload.id`). */
export interface StoredLossyInteger {
  readonly token: string;
  readonly path: string;
}

/**
 * The first lossy integer of `text` that lands in `storedOf()` (the parts of the parsed text that are stored or echoed,
 * shaped as sent: see storedParts), or null. Hint: a field no rule reads is never stored, so a producer's own
 * nanosecond `timestamp` beside the event changes nothing and is accepted, as the old service accepted it.
 */
export function storedLossyInteger(text: string, storedOf: () => unknown): StoredLossyInteger | null {
  let stored: unknown;
  for (const token of lossyTokens(text)) {
    // Hint: built only once a lossy token is found, so the common message allocates nothing here.
    stored ??= storedOf();
    const path = pathTo(stored, Number(token), SEARCH_DEPTH);
    if (path !== null) return { token, path };
  }
  return null;
}

/** Each integer token outside strings in JSON `text` that isLossyInteger, in order. */
function* lossyTokens(text: string): Generator<string> {
  if (!LONG_DIGITS.test(text)) return;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = closingQuote(text, i);
      if (i < 0) return;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const end = numberEnd(text, i);
      const token = text.slice(i, end);
      if (isLossyInteger(token)) yield token;
      i = end - 1;
    }
  }
}

/**
 * True for an integer token (no fraction, no exponent) whose stored form, JSON.parse then JSON.stringify, reads as
 * another number: `1152921504606846976` (2^60, exact as a float) is stored as `1152921504606847000`, which a reader
 * parsing integers exactly (Python) takes for another value; `1000000000000000000000` stored as `1e+21` is not.
 */
export function isLossyInteger(token: string): boolean {
  if (!/^-?\d{16,}$/.test(token)) return false;
  const parsed = Number(token);
  // Hint: past the float range JSON.parse gives ±Infinity, which the non-finite check refuses with its own reason.
  if (!Number.isFinite(parsed)) return false;
  const stored = String(parsed);
  return stored !== token && decimalValue(stored) !== BigInt(token);
}

/** The exact value of a number JavaScript printed for an integer-valued float (`123`, `1.5e+21`). */
function decimalValue(printed: string): bigint {
  const [mantissa = '', exponent = '0'] = printed.split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  const shift = Number(exponent) - fraction.length;
  const digits = BigInt(whole + fraction);
  return shift >= 0 ? digits * 10n ** BigInt(shift) : digits / 10n ** BigInt(-shift);
}

/** Nesting the field search follows (MAX_JSON_DEPTH's largest): a body deeper than that is refused for its depth. */
const SEARCH_DEPTH = 1_000;

/** The field holding the integer JSON.parse read from `token` (as `payload.ids[2]`), or '' when none is found. */
export function lossyIntegerPath(value: unknown, token: string): string {
  return pathTo(value, Number(token), SEARCH_DEPTH) ?? '';
}

function pathTo(value: unknown, target: number, depth: number): string | null {
  if (value === target) return '';
  if (typeof value !== 'object' || value === null || depth === 0) return null;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i): [string, unknown] => [`[${i}]`, item])
    : Object.entries(value);
  for (const [segment, inner] of entries) {
    const rest = pathTo(inner, target, depth - 1);
    if (rest === null) continue;
    return rest === '' || rest.startsWith('[') ? segment + rest : `${segment}.${rest}`;
  }
  return null;
}

/** The reason given for a lossy integer token. */
export function lossyIntegerMessage(token: string): string {
  return (
    `is the integer ${token}, which a JSON number here (a 64-bit float) cannot hold: it would be stored as ` +
    `${String(Number(token))}; send it as a string`
  );
}

/** Index just past the number token starting at `at` (JSON grammar characters; JSON.parse already checked it). */
function numberEnd(text: string, at: number): number {
  let i = at + 1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const numeric = (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
    if (!numeric) break;
  }
  return i;
}
