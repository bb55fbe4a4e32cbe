import { crc32 } from 'node:zlib';

/**
 * CRC-32 arithmetic (zlib's reflected polynomial), after zlib's crc32_combine: the CRC of `A‖B` is the CRC of `A`
 * times x^(8·|B|) mod P, xor the CRC of `B`. Why: a replay frame `[r1,r2,…]` is checked with one native crc32 over
 * its bytes (about 54 ns a record here) against what the records' stored checksums combine to, instead of one crc32
 * call per record (about 320 ns: the call, not the bytes, is the cost).
 */
const POLY = 0xedb88320;
/** x^0 in the reflected representation. */
const ONE = 0x80000000;

/** a·b mod P. */
function multModP(a: number, b: number): number {
  let m = ONE;
  let p = 0;
  let c = b;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= c;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    c = (c & 1) !== 0 ? (c >>> 1) ^ POLY : c >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) mod P for k = 0..31 (x^(2^k) repeats with period dividing 32 in zlib's use; k is taken mod 32). */
const X2N = new Uint32Array(32);
X2N[0] = ONE >>> 1;
for (let k = 1; k < 32; k++) X2N[k] = multModP(X2N[k - 1]!, X2N[k - 1]!);

/** x^(8·bytes) mod P: what a CRC is multiplied by when `bytes` more bytes follow it. */
function shiftOf(bytes: number): number {
  let p = ONE;
  let k = 3;
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) if (n % 2 === 1) p = multModP(X2N[k & 31]!, p);
  return p;
}

/**
 * Multiplication by a fixed `factor` as four byte tables: the product is linear in the other factor, so each table
 * holds the products of one byte's 256 values, built from its 8 bits.
 */
function multiplier(factor: number): Uint32Array {
  const table = new Uint32Array(1024);
  for (let k = 0; k < 4; k++)
    for (let bit = 0; bit < 8; bit++) {
      const product = multModP(factor, (1 << (8 * k + bit)) >>> 0);
      const base = 256 * k;
      for (let v = 1 << bit, high = v; v < 2 * high; v++) table[base + v] = table[base + (v ^ high)]! ^ product;
    }
  return table;
}

function times(table: Uint32Array, value: number): number {
  return (
    (table[value & 0xff]! ^
      table[256 + ((value >>> 8) & 0xff)]! ^
      table[512 + ((value >>> 16) & 0xff)]! ^
      table[768 + (value >>> 24)]!) >>>
    0
  );
}

/** Per record length: the table that appends `,` and the record, and what the `,` adds. */
interface Step {
  readonly next: Uint32Array;
  readonly comma: number;
}

const OPEN = crc32('[');
const COMMA = crc32(',');
const CLOSE = crc32(']');
const CLOSE_SHIFT = shiftOf(1);
/** Steps by record length, kept for the lengths a process meets (4 KiB each; dropped all at once past the cap). */
const steps = new Map<number, Step>();
const MAX_STEPS = 2048;

function stepOf(length: number): Step {
  let step = steps.get(length);
  if (step === undefined) {
    if (steps.size >= MAX_STEPS) steps.clear();
    step = { next: multiplier(shiftOf(length + 1)), comma: multModP(shiftOf(length), COMMA) };
    steps.set(length, step);
  }
  return step;
}

/**
 * The CRC-32 of the frame `[r1,r2,…]` whose records have these byte lengths and CRCs (at least one record). Hint: the
 * CRC of `A,r` is CRC(A)·x^(8(|r|+1)) xor CRC(,)·x^(8|r|) xor CRC(r), both factors fixed by |r|.
 */
export function frameCrc(lengths: readonly number[], crcs: readonly number[]): number {
  let crc = (multModP(shiftOf(lengths[0]!), OPEN) ^ crcs[0]!) >>> 0;
  for (let i = 1; i < lengths.length; i++) {
    const step = stepOf(lengths[i]!);
    crc = (times(step.next, crc) ^ step.comma ^ crcs[i]!) >>> 0;
  }
  return (multModP(CLOSE_SHIFT, crc) ^ CLOSE) >>> 0;
}
