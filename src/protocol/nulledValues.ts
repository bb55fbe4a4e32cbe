/** Where a value holds something JSON.stringify writes as `null` although it is not null, and what it is. */
export interface NulledValue {
  /** A field path such as `payload.scores[2]`. */
  readonly path: string;
  /** What is there: `NaN`, `Infinity`, `-Infinity`, `undefined`, `a function` or `a symbol`. */
  readonly value: string;
}

/**
 * The first value JSON.stringify would write as `null` although it is not null, or null when there is none: a NaN or
 * ±Infinity anywhere, and undefined, a function or a symbol as an array element (as an object's value JSON leaves
 * the key out, which loses nothing). Hint: it follows stringify's own rules (own enumerable keys, toJSON applied), so
 * it finds exactly what would be sent or stored as null: the SDK checks an event before sending it, the server a
 * parsed one (where only a number can be found: JSON.parse read `1e400` as Infinity). Beside each object's key list
 * it allocates only the answer. Recursive: the server calls it only on input whose depth it has bounded.
 */
export function nulledValueIn(value: unknown): NulledValue | null {
  return found('', value, false);
}

function found(key: string, raw: unknown, inArray: boolean): NulledValue | null {
  const value = hasToJson(raw) ? raw.toJSON(key) : raw;
  if (typeof value === 'number') return Number.isFinite(value) ? null : { path: '', value: String(value) };
  // Hint: a hole in a sparse array reads as undefined, and JSON writes it as null too.
  if (inArray && (value === undefined || typeof value === 'function' || typeof value === 'symbol'))
    return { path: '', value: value === undefined ? 'undefined' : `a ${typeof value}` };
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = found(String(i), value[i], true);
      if (inner !== null) return under(`[${i}]`, inner);
    }
    return null;
  }
  const record = value as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const inner = found(name, record[name], false);
    if (inner !== null) return under(name, inner);
  }
  return null;
}

/** True for an object with a toJSON method, which JSON.stringify calls. */
export function hasToJson(value: unknown): value is { toJSON(key: string): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** `inner` as seen from its parent, which reaches it through `segment` (a key, or `[i]`). */
function under(segment: string, inner: NulledValue): NulledValue {
  const path =
    inner.path === '' ? segment : inner.path.startsWith('[') ? segment + inner.path : `${segment}.${inner.path}`;
  return { path, value: inner.value };
}

/** The server's reason for a non-finite number in parsed input: JSON text can only have held one out of range. */
export const NON_FINITE_MESSAGE =
  'is a number beyond ±1.7976931348623157e308 (the 64-bit float range): JSON cannot carry it (it would become null)';
