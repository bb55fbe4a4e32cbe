/**
 * A group commit's row values as a few strings plus each value's length (-1 for null), the form they cross to the
 * writer thread in: postMessage copies a few strings instead of cloning every value (on the I/O thread, 0.28-0.32
 * against 0.42-0.51 µs per event packed and posted, measured inside the server in ingest-ws-single).
 */
export interface PackedRows {
  /** The values joined, cut between values into pieces of about PIECE_CHARS (one value longer than that is alone). */
  readonly pieces: readonly string[];
  /** One entry per value, in UTF-16 code units as the pieces count them; -1 for null. */
  readonly lengths: Int32Array<ArrayBuffer>;
}

/**
 * Why pieces: V8 gives a string over 128 KB a page mapping of its own and unmaps it at the next GC; a commit's values
 * joined (about 264 KB in ingest-ws-batch) did that once on each thread per commit, and a fresh page faults on every
 * first touch (about 13 µs a fault on this VM). Pieces of at most 32,768 UTF-16 units (64 KB) stay in the young
 * generation's reused pages.
 */
export const PIECE_CHARS = 32_768;

/** Pack row values (strings or null) into pieces of at most PIECE_CHARS (unless one value is longer) and lengths. */
export function packRows(values: readonly (string | null)[]): PackedRows {
  const lengths = new Int32Array(values.length);
  const pieces: string[] = [];
  let start = 0;
  let chars = 0;
  for (let i = 0; i < values.length; i++) {
    const n = values[i]?.length ?? -1;
    lengths[i] = n;
    if (chars + n > PIECE_CHARS && chars > 0) {
      // Hint: join writes null as '', which its length -1 tells apart from an empty string.
      pieces.push(values.slice(start, i).join(''));
      start = i;
      chars = 0;
    }
    if (n > 0) chars += n;
  }
  if (chars > 0) pieces.push(values.slice(start).join(''));
  return { pieces, lengths };
}

/**
 * The writer worker's `unpackRows(pieces, lengths)` as JavaScript source (the worker is eval'd CommonJS; the unit
 * test runs this same text). A value never spans two pieces. Slices share a piece's memory until SQLite copies them.
 */
export const UNPACK_ROWS_SOURCE = `function unpackRows(pieces, lengths) {
  const values = new Array(lengths.length);
  let p = 0, text = pieces.length > 0 ? pieces[0] : '', at = 0;
  for (let i = 0; i < lengths.length; i++) {
    const n = lengths[i];
    if (n < 0) { values[i] = null; continue; }
    if (n > 0 && at + n > text.length) { text = pieces[++p]; at = 0; }
    values[i] = text.slice(at, (at += n));
  }
  return values;
}`;
