import { describe, expect, it } from 'vitest';
import { readJsonBody } from './jsonBody.js';

const bytes = (text: string, encoding: BufferEncoding = 'utf8') => Buffer.from(text, encoding);

describe('readJsonBody', () => {
  it('reads UTF-8 JSON, skipping a BOM', () => {
    expect(readJsonBody(bytes('{"a":1}'))).toEqual({ ok: true, text: '{"a":1}', value: { a: 1 } });
    expect(readJsonBody(bytes('\ufeff[1]'))).toMatchObject({ ok: true, value: [1] });
  });

  it('tells an empty body (missing) from text that is not JSON (json) and bytes that are not UTF-8 text (encoding)', () => {
    expect(readJsonBody(bytes(''))).toEqual({ ok: false, kind: 'missing' });
    expect(readJsonBody(bytes(' '))).toEqual({
      ok: false,
      kind: 'json',
      position: 1,
      reason: 'Unexpected end of JSON input',
    });
    expect(readJsonBody(bytes('{"a":1,}'))).toEqual({
      ok: false,
      kind: 'json',
      position: 7,
      reason: 'Expected double-quoted property name',
    });
    expect(readJsonBody(Buffer.from([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      kind: 'encoding',
      reason: 'not valid UTF-8',
    });
  });

  it('counts the position in code points, as Python does, not in UTF-16 units', () => {
    // Two emoji are four UTF-16 units but two code points, as Python's json.loads counts them.
    expect(readJsonBody(bytes('["😀😀", x]'))).toMatchObject({ kind: 'json', position: 7 });
    expect(readJsonBody(bytes('["😀😀",]'))).toMatchObject({ kind: 'json', position: 6 });
  });

  it('says a UTF-16 or UTF-32 body looks like one, with or without a BOM, valid UTF-8 bytes or not', () => {
    const text = '{"event_type":"quiz_started"}';
    const wide = 'it looks like UTF-16 or UTF-32; send UTF-8';
    for (const body of [bytes(text, 'utf16le'), bytes(`\ufeff${text}`, 'utf16le')]) {
      expect(readJsonBody(body)).toMatchObject({ ok: false, kind: 'encoding', reason: expect.stringContaining(wide) });
    }
  });
});
