import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, wideEncodingHint, wideTextHint } from './utf8Text.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('decodeUtf8', () => {
  it('refuses bytes that are not UTF-8, an encoded surrogate and Latin-1 included', () => {
    expect(decodeUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBeNull();
    expect(decodeUtf8(Buffer.from('caf\xe9', 'latin1'))).toBeNull();
    expect(decodeUtf8(Buffer.from([0xff, 0xfe, 0x7b, 0x00]))).toBeNull();
  });

  it('gives back any well-formed text exactly, with one leading BOM skipped (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.boolean(), (text, withBom) => {
        const bytes = Buffer.from(text, 'utf8');
        const sent = withBom ? Buffer.concat([BOM, bytes]) : bytes;
        const expected = !withBom && text.startsWith('\ufeff') ? text.slice(1) : text;
        expect(decodeUtf8(sent)).toBe(expected);
        expect(decodeUtf8(sent.buffer.slice(sent.byteOffset, sent.byteOffset + sent.byteLength))).toBe(expected);
      }),
    );
  });
});

describe('wideEncodingHint', () => {
  it('names UTF-16 or UTF-32 for a body in either, with or without a BOM, and nothing for UTF-8 or Latin-1', () => {
    const json = '{"a":"caf\u00e9"}';
    const hint = ' (it looks like UTF-16 or UTF-32; send UTF-8)';
    for (const encoding of ['utf16le', 'ucs2'] as const)
      expect(wideEncodingHint(Buffer.from(json, encoding))).toBe(hint);
    expect(wideEncodingHint(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(json, 'utf16le').swap16()]))).toBe(
      hint,
    );
    expect(wideEncodingHint(Buffer.from([0x7b, 0, 0, 0, 0x7d, 0, 0, 0]))).toBe(hint);
    expect(wideEncodingHint(Buffer.from(json))).toBe('');
    expect(wideEncodingHint(Buffer.from(json, 'latin1'))).toBe('');
    expect(wideEncodingHint(Buffer.alloc(0))).toBe('');
  });

  it('reads the same mark in text decoded as UTF-8 (wideTextHint)', () => {
    const json = '{"a":"caf\u00e9"}';
    const hint = ' (it looks like UTF-16 or UTF-32; send UTF-8)';
    expect(wideTextHint(Buffer.from(json, 'utf16le').toString('latin1'))).toBe(hint);
    expect(wideTextHint('{\0\0\0}')).toBe(hint);
    expect(wideTextHint(json)).toBe('');
    expect(wideTextHint('')).toBe('');
  });
});
