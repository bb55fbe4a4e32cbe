/** What the scanner expects next. */
type Expect = 'value' | 'key' | 'colon' | 'after';

const OBJECT = 0;
const ARRAY = 1;
const LITERALS: Readonly<Record<string, string>> = { t: 'true', f: 'false', n: 'null' };
const HEX = /^[0-9A-Fa-f]$/;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Past the string opening at `at`, or the error's index as `-1 - index` (a control character, a bad escape, the end). */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1 - i;
    if (c !== 0x5c) continue;
    const escaped = text[i + 1];
    if (escaped === 'u') {
      // Hint: the first of the four that is not a hex digit, as V8 names it (the end when the text stops first).
      for (let k = i + 2; k < i + 6; k++) if (!HEX.test(text[k] ?? '')) return -1 - Math.min(k, text.length);
      i += 5;
    } else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) i++;
    else return -1 - Math.min(i + 1, text.length);
  }
  return -1 - text.length;
}

/** Past the digits from `at` (at least one), or `-1 - at` when there is none. */
function digitsEnd(text: string, at: number): number {
  let i = at;
  while (isDigit(text.charCodeAt(i))) i++;
  return i === at ? -1 - at : i;
}

/** Past the number at `at` (JSON's grammar: no leading zeros, no bare `.` or `e`), or `-1 - index` of the error. */
function numberEnd(text: string, at: number): number {
  let i = text.charCodeAt(at) === 0x2d ? at + 1 : at;
  i = text.charCodeAt(i) === 0x30 ? i + 1 : digitsEnd(text, i);
  if (i >= 0 && text.charCodeAt(i) === 0x2e) i = digitsEnd(text, i + 1);
  if (i >= 0 && (text.charCodeAt(i) === 0x65 || text.charCodeAt(i) === 0x45)) {
    const sign = text.charCodeAt(i + 1) === 0x2b || text.charCodeAt(i + 1) === 0x2d;
    i = digitsEnd(text, i + (sign ? 2 : 1));
  }
  return i;
}

/** Past the scalar (string, number or literal) at `at`, or `-1 - index` of the error. */
function scalarEnd(text: string, at: number): number {
  const c = text[at]!;
  if (c === '"') return stringEnd(text, at);
  if (c === '-' || isDigit(c.charCodeAt(0))) return numberEnd(text, at);
  const literal = LITERALS[c];
  if (literal === undefined) return -1 - at;
  for (let k = 1; k < literal.length; k++) if (text[at + k] !== literal[k]) return -1 - Math.min(at + k, text.length);
  return at + literal.length;
}

/**
 * Where JSON text first goes wrong, as a UTF-16 index (its length when it ends too soon), or -1 when it is valid
 * JSON. Hint: V8's JSON.parse names a position for most errors but not all (`Unexpected token 'x', "…" is not
 * valid JSON`), and a FastAPI-shaped `json_invalid` entry needs one; this is only called once a parse failed.
 * Iterative, so a deeply nested body cannot overflow the stack.
 */
export function jsonErrorPosition(text: string): number {
  const open: number[] = [];
  let expect: Expect = 'value';
  let i = 0;
  for (;;) {
    while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
    if (i >= text.length) return expect === 'after' && open.length === 0 ? -1 : text.length;
    const c = text[i]!;
    if (expect === 'after') {
      const top = open.at(-1);
      if (top === undefined) return i;
      if (c === ',') expect = top === OBJECT ? 'key' : 'value';
      else if (c !== (top === OBJECT ? '}' : ']')) return i;
      else open.pop();
      i++;
    } else if (expect === 'colon') {
      if (c !== ':') return i;
      expect = 'value';
      i++;
    } else if (expect === 'value' && (c === '{' || c === '[')) {
      open.push(c === '{' ? OBJECT : ARRAY);
      i++;
      while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
      const empty = text[i] === (c === '{' ? '}' : ']');
      if (empty) open.pop();
      i += empty ? 1 : 0;
      expect = empty ? 'after' : c === '{' ? 'key' : 'value';
    } else {
      if (expect === 'key' && c !== '"') return i;
      const end = scalarEnd(text, i);
      if (end < 0) return -1 - end;
      i = end;
      expect = expect === 'key' ? 'colon' : 'after';
    }
  }
}
