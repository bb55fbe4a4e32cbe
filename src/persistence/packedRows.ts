/**
 * A group commit's row values as one string plus each value's length (-1 for null), the form they cross to the writer
 * thread in: postMessage copies one string instead of cloning every value (on the I/O thread, 0.28-0.32 against
 * 0.42-0.51 µs per event packed and posted, measured inside the server in ingest-ws-single).
 */
export interface PackedRows {
  readonly text: string;
  /** One entry per value, in UTF-16 code units as `text` counts them; -1 for null. */
  readonly lengths: Int32Array<ArrayBuffer>;
}

/** Pack row values (strings or null) into one string and their lengths. */
export function packRows(values: readonly (string | null)[]): PackedRows {
  const lengths = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) lengths[i] = values[i]?.length ?? -1;
  // Hint: join writes null as '', which its length -1 tells apart from an empty string.
  return { text: values.join(''), lengths };
}

/**
 * The writer worker's `unpackRows(text, lengths)` as JavaScript source (the worker is eval'd CommonJS; the unit test
 * runs this same text). Slices share `text`'s memory until SQLite copies them.
 */
export const UNPACK_ROWS_SOURCE = `function unpackRows(text, lengths) {
  const values = new Array(lengths.length);
  for (let i = 0, at = 0; i < lengths.length; i++) {
    const n = lengths[i];
    if (n < 0) values[i] = null;
    else values[i] = text.slice(at, (at += n));
  }
  return values;
}`;
