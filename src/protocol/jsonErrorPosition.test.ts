import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorPosition } from './jsonErrorPosition.js';

/** What V8 says of `text`: valid, or the position it names (its length at an unexpected end), or the token it names. */
function v8(text: string): { readonly ok: true } | { readonly ok: false; position?: number; token?: string } {
  try {
    JSON.parse(text);
    return { ok: true };
  } catch (error) {
    const message = (error as Error).message;
    const at = /at position (\d+)/.exec(message);
    if (at !== null) return { ok: false, position: Number(at[1]) };
    if (message.startsWith('Unexpected end')) return { ok: false, position: text.length };
    // Hint: V8 names one UTF-16 unit (half an emoji), so the check compares units.
    const token = /^Unexpected token '(.)/.exec(message);
    return token === null ? { ok: false } : { ok: false, token: token[1]! };
  }
}

/** JSON text with a few characters inserted or one replaced, so most of it is almost JSON. */
const nearlyJson = fc
  .tuple(
    fc.json(),
    fc.nat(),
    fc.constantFrom(
      ...['', 'x', ',', '}', ']', '"', '\\', '\\u', '\\u1', '\u0001', ' ', '0', '-', '.', 'e', 'e+', 't', 'nul'],
      ...['{', '[', ':', '😀'],
    ),
  )
  .map(([json, n, inserted]) => {
    const at = n % (json.length + 1);
    return json.slice(0, at) + inserted + json.slice(at + (n % 2));
  });

describe('jsonErrorPosition', () => {
  it('is -1 exactly for valid JSON, and else where V8 says, or at the token V8 names (property)', () => {
    fc.assert(
      fc.property(fc.oneof(nearlyJson, fc.string(), fc.json()), (text) => {
        const said = v8(text);
        const position = jsonErrorPosition(text);
        if (said.ok) return position === -1;
        if (said.position !== undefined) return position === said.position;
        if (said.token !== undefined) return text.charCodeAt(position) === said.token.charCodeAt(0);
        return position >= 0;
      }),
      { numRuns: 5_000 },
    );
  });

  it('names the first character that cannot continue the text, or its end', () => {
    expect(jsonErrorPosition('{"a":tru}')).toBe(8);
    expect(jsonErrorPosition('[1,]')).toBe(3);
    expect(jsonErrorPosition('{"a":1} x')).toBe(8);
    expect(jsonErrorPosition('')).toBe(0);
    expect(jsonErrorPosition('  ')).toBe(2);
    expect(jsonErrorPosition('{"a":"b')).toBe(7);
    expect(jsonErrorPosition('"\\x"')).toBe(2);
    expect(jsonErrorPosition('"\\u12G4"')).toBe(5);
    expect(jsonErrorPosition('"\\u12')).toBe(5);
    expect(jsonErrorPosition('-.5')).toBe(1);
  });

  it('walks 100,000 levels of nesting without overflowing the stack', () => {
    expect(jsonErrorPosition(`${'['.repeat(100_000)}x`)).toBe(100_000);
  });
});
