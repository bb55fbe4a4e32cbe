const encoder = new TextEncoder();
// Hint: a query value keeps a leading U+FEFF (WHATWG "UTF-8 decode without BOM"), so a path segment does too.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * A path segment (`/sessions/{session_id}`) percent-decoded as a query value is (URLSearchParams, and the old service's
 * `unquote` for both): each `%XX` is a byte, a `%` not followed by two hex digits stays as written, bytes that are
 * not UTF-8 read as U+FFFD, and `+` stays `+`. Hint: decodeURIComponent throws on either of the last two, and
 * keeping the whole segment raw then made `/sessions/%zz%41` look up "%zz%41" while `?session_id=%zz%41` read "%zzA".
 */
export function decodePathSegment(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    // Hint: only a malformed segment gets here; it is decoded byte by byte below.
  }
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    const high = c === 0x25 /* % */ ? hexValue(raw.charCodeAt(i + 1)) : -1;
    const low = high < 0 ? -1 : hexValue(raw.charCodeAt(i + 2));
    if (low >= 0) {
      bytes.push(high * 16 + low);
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else {
      const point = raw.codePointAt(i)!;
      const char = String.fromCodePoint(point);
      for (const byte of encoder.encode(char)) bytes.push(byte);
      i += char.length - 1;
    }
  }
  return decoder.decode(Uint8Array.from(bytes));
}
