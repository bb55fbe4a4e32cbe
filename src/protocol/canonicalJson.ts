import { closingQuote } from './textDepth.js';

/**
 * Scanners for JSON text that is already in `JSON.stringify(JSON.parse(text))` form, so a one-event publish can keep
 * its payload text as is instead of parsing and re-serializing it. Each returns the index just past the value, or -1
 * when the text is not provably canonical (whitespace, escapes, non-integer or long numbers, keys JSON.parse would
 * reorder or merge): the caller then takes the general path, which decides and explains.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** A string with no escape and no control character (those JSON.stringify would write differently, or reject). */
export function canonicalStringEnd(text: string, at: number): number {
  if (text.charCodeAt(at) !== QUOTE) return -1;
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}

/**
 * A number token (JSON grammar) that JSON.stringify prints back the same. Hint: a short integer always does (no `-0`);
 * anything else is checked by the same round trip (`String(Number(token))`, which is what JSON.stringify writes).
 */
function canonicalNumberEnd(text: string, at: number): number {
  let i = text.charCodeAt(at) === 0x2d /* - */ ? at + 1 : at;
  const first = text.charCodeAt(i);
  if (first === 0x30) i++;
  else if (first >= 0x31 && first <= 0x39) while (isDigit(text.charCodeAt(i))) i++;
  else return -1;
  let plain = true;
  if (text.charCodeAt(i) === 0x2e /* . */) {
    i = digitsEnd(text, i + 1);
    plain = false;
  }
  const e = text.charCodeAt(i);
  if (i >= 0 && (e === 0x65 || e === 0x45)) {
    const sign = text.charCodeAt(i + 1);
    i = digitsEnd(text, sign === 0x2b || sign === 0x2d ? i + 2 : i + 1);
    plain = false;
  }
  if (i < 0) return -1;
  if (plain && i - at <= 15 && !(first === 0x30 && i - at === 2)) return i;
  const token = text.slice(at, i);
  return String(Number(token)) === token ? i : -1;
}

/** The end of one or more digits from `at`, or -1 when there is none. */
function digitsEnd(text: string, at: number): number {
  let i = at;
  while (isDigit(text.charCodeAt(i))) i++;
  return i === at ? -1 : i;
}

function literalEnd(text: string, at: number, word: string): number {
  return text.startsWith(word, at) ? at + word.length : -1;
}

/** Any canonical value; containers may nest `depth` more levels below this one (the value itself counts as one). */
export function canonicalValueEnd(text: string, at: number, depth: number): number {
  const c = text.charCodeAt(at);
  if (c === QUOTE) return canonicalStringEnd(text, at);
  if (c === 0x7b /* { */) return depth > 0 ? objectEnd(text, at, depth - 1) : -1;
  if (c === 0x5b /* [ */) return depth > 0 ? canonicalArrayEnd(text, at, depth - 1) : -1;
  if (c === 0x74) return literalEnd(text, at, 'true');
  if (c === 0x66) return literalEnd(text, at, 'false');
  if (c === 0x6e) return literalEnd(text, at, 'null');
  return canonicalNumberEnd(text, at);
}

function canonicalArrayEnd(text: string, at: number, depth: number): number {
  let i = at + 1;
  if (text.charCodeAt(i) === 0x5d /* ] */) return i + 1;
  for (;;) {
    i = canonicalValueEnd(text, i, depth);
    if (i < 0) return -1;
    const c = text.charCodeAt(i);
    if (c === 0x5d) return i + 1;
    if (c !== COMMA) return -1;
    i++;
  }
}

/**
 * Key ranges (start, end) of the objects being scanned, innermost last, so a duplicate check slices nothing; in use
 * up to `keyTop`. Hint: the array is never shortened: setting `length` back to 0 after every object let V8 trim and
 * regrow its store once per scanned event (about 160 bytes of garbage per event in ingest-ws-batch's heap profile).
 */
const keyRanges: number[] = [];
let keyTop = 0;
/** How many keys the object objectEnd last finished had. */
let scannedKeys = 0;
/**
 * Keys one object may have before the scan leaves it to the general path. Hint: each key is compared with the
 * object's earlier ones, so without a bound the scan is quadratic: a probe's 1 MB message of 87,000 keys held the
 * I/O thread 49.9 s before its `has 87000 keys` refusal. With it, a message costs at most 64 comparisons per key.
 */
export const MAX_SCANNED_KEYS = 64;

/**
 * A canonical object and its key count. Hint: JSON.parse puts array-index keys ("0", "17") first and keeps one of
 * duplicate keys, so any key starting with a digit, and any repeated key, is left to the general path.
 */
export function canonicalObjectEnd(text: string, at: number, depth: number): { end: number; keys: number } {
  const end = objectEnd(text, at, depth);
  return { end, keys: end < 0 ? 0 : scannedKeys };
}

/** canonicalObjectEnd without its result object (nested objects need only the end). */
function objectEnd(text: string, at: number, depth: number): number {
  if (text.charCodeAt(at) !== 0x7b) return -1;
  let i = at + 1;
  if (text.charCodeAt(i) === 0x7d /* } */) {
    scannedKeys = 0;
    return i + 1;
  }
  const base = keyTop;
  for (;;) {
    const keyEnd = canonicalStringEnd(text, i);
    if (keyEnd < 0 || isDigit(text.charCodeAt(i + 1)) || text.charCodeAt(keyEnd) !== COLON) return dropKeys(base, -1);
    if (keyTop - base >= 2 * MAX_SCANNED_KEYS) return dropKeys(base, -1);
    for (let r = base; r < keyTop; r += 2)
      if (sameText(text, keyRanges[r]!, keyRanges[r + 1]!, i + 1, keyEnd - 1)) return dropKeys(base, -1);
    keyRanges[keyTop++] = i + 1;
    keyRanges[keyTop++] = keyEnd - 1;
    // Hint: a nested object pushes its keys above these and drops them again before it returns.
    i = canonicalValueEnd(text, keyEnd + 1, depth);
    if (i < 0) return dropKeys(base, -1);
    const c = text.charCodeAt(i);
    if (c === 0x7d) {
      scannedKeys = (keyTop - base) / 2;
      return dropKeys(base, i + 1);
    }
    if (c !== COMMA) return dropKeys(base, -1);
    i++;
  }
}

/** Forget the keys of the object that started at `base` and return `result` (its end, or -1). */
function dropKeys(base: number, result: number): number {
  keyTop = base;
  return result;
}

/** Whether text[a, aEnd) and text[b, bEnd) hold the same characters. */
function sameText(text: string, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  for (let k = 0; k < aEnd - a; k++) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}

/**
 * The end of the value at `at` in valid JSON text, or -1 at the text's end: strings skipped to their closing quote,
 * containers by depth, a scalar up to the `,` or `}` after it. Nothing is checked, so the text must be valid JSON.
 */
function validValueEnd(text: string, at: number): number {
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
      if (i < 0) return -1;
      if (depth === 0) return i + 1;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return i;
      if (--depth === 0) return i + 1;
    } else if (c === COMMA && depth === 0) return i;
  }
  return -1;
}

/** Nesting the member scan follows before it leaves a payload to JSON.parse. */
const MEMBER_SCAN_DEPTH = 64;

/**
 * The value text of the top-level member `key` of a JSON object text (the last one when repeated, as JSON.parse
 * keeps), null when there is none, undefined when the text is not provably canonical up to the answer (the caller
 * parses it). `text` must be valid JSON (a stored payload): once the member is found and the rest of the text does
 * not hold `key` again, the rest is not read. Hint: this allocates nothing but the answer, where JSON.parse builds
 * the whole payload (quizIdOf on 50,000 bench payloads: 0.33-0.60 µs against 0.69-1.21 µs with JSON.parse).
 */
export function canonicalMemberText(text: string, key: string): string | null | undefined {
  if (text.charCodeAt(0) !== 0x7b) return undefined;
  let i = 1;
  if (text.charCodeAt(i) === 0x7d) return i + 1 === text.length ? null : undefined;
  let found: string | null = null;
  for (;;) {
    const keyEnd = canonicalStringEnd(text, i);
    if (keyEnd < 0 || text.charCodeAt(keyEnd) !== COLON) return undefined;
    const isKey = keyEnd - i === key.length + 2 && text.startsWith(key, i + 1);
    // Hint: another member's value is only skipped (linear, nothing kept): checking it as canonical cost a stored
    // payload of one 5,900-key object, a valid 64 KiB, a JSON.parse of 13 ms in every fold of its session.
    const valueEnd = isKey ? canonicalValueEnd(text, keyEnd + 1, MEMBER_SCAN_DEPTH) : validValueEnd(text, keyEnd + 1);
    if (valueEnd < 0) return undefined;
    if (isKey) {
      found = text.slice(keyEnd + 1, valueEnd);
      if (text.indexOf(key, valueEnd) < 0) return found;
    }
    const c = text.charCodeAt(valueEnd);
    if (c === 0x7d) return valueEnd + 1 === text.length ? found : undefined;
    if (c !== COMMA) return undefined;
    i = valueEnd + 1;
  }
}
