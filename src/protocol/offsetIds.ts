import { urlAlphabet } from 'nanoid';
import { ALPHABET, checkPrefix, cryptoBytes, type RandomBytes } from './prefixedIds.js';

/** Characters after the prefix: the offset in OFFSET_CHARS symbols, then RANDOM_CHARS random ones (nanoid's 21). */
export const OFFSET_ID_CHARS = 21;
/** Symbols of the offset: 8 × 6 bits = 48 bits, offsets below 2^48. */
export const OFFSET_CHARS = 8;
const RANDOM_CHARS = OFFSET_ID_CHARS - OFFSET_CHARS;
/** The symbol alphabet, digit value = index (shared with the SQL that recognizes these ids: chunkIndexer.ts). */
export const OFFSET_ID_ALPHABET = urlAlphabet;
/** Ids made per block (one random fill and one string per block). */
const PER_BLOCK = 1_024;

const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < OFFSET_ID_ALPHABET.length; i++) DIGIT[OFFSET_ID_ALPHABET.charCodeAt(i)] = i;

/**
 * Ids that name their own offset: `${prefix}` + the offset in 8 symbols + 13 random symbols, the same shape as
 * `prefixedIds(prefix)` (`evt_` + 21 characters of nanoid's URL alphabet). Hint: a log finds such an id with one
 * read at the offset it names (`idOffset`), so neither a lookup nor a producer's resend check costs more as the log
 * grows; 78 random bits keep ids of different logs (or of a log restored from a backup) apart. Offsets are dense
 * and rising, so each id is a slice of a block made for 1,024 consecutive offsets.
 */
export function offsetIds(prefix: string, random: RandomBytes = cryptoBytes): (offset: number) => string {
  checkPrefix(prefix);
  const width = prefix.length + OFFSET_ID_CHARS;
  const decoder = new TextDecoder();
  let block = '';
  let base = -PER_BLOCK;
  return (offset) => {
    if (!Number.isInteger(offset) || offset < 0 || offset >= 2 ** 48)
      throw new RangeError(`offset out of range: ${offset}`);
    if (offset < base || offset >= base + PER_BLOCK) {
      base = offset;
      block = decoder.decode(makeBlock(prefix, base, random(RANDOM_CHARS * PER_BLOCK)));
    }
    const start = (offset - base) * width;
    return block.slice(start, start + width);
  };
}

function makeBlock(prefix: string, base: number, bytes: Uint8Array): Uint8Array {
  const width = prefix.length + OFFSET_ID_CHARS;
  const out = new Uint8Array(width * PER_BLOCK);
  for (let i = 0; i < PER_BLOCK; i++) {
    let at = i * width;
    for (let p = 0; p < prefix.length; p++) out[at++] = prefix.charCodeAt(p);
    let value = base + i;
    for (let d = OFFSET_CHARS - 1; d >= 0; d--) {
      out[at + d] = ALPHABET[value % 64]!;
      value = Math.floor(value / 64);
    }
    at += OFFSET_CHARS;
    for (let j = 0; j < RANDOM_CHARS; j++) out[at + j] = ALPHABET[bytes[i * RANDOM_CHARS + j]! & 63]!;
  }
  return out;
}

/**
 * The offset an id of `offsetIds`' shape names (read from the 8 symbols that start its last 21 characters), or null
 * when it cannot be one. Any id may decode to some offset: only the row at that offset holding this very id proves it.
 */
export function idOffset(id: string): number | null {
  const from = id.length - OFFSET_ID_CHARS;
  if (from < 0) return null;
  let value = 0;
  for (let i = from; i < from + OFFSET_CHARS; i++) {
    const code = id.charCodeAt(i);
    const digit = code < 128 ? DIGIT[code]! : -1;
    if (digit < 0) return null;
    value = value * 64 + digit;
  }
  return value;
}
