/** Where a value holds a number JSON.stringify writes as `null` (NaN, ±Infinity), and which one. */
export interface NonFinite {
  /** A field path such as `payload.scores[2]`. */
  readonly path: string;
  readonly value: number;
}

/**
 * The first number JSON.stringify would write as `null`, or null when there is none. Hint: it follows stringify's
 * own rules (own enumerable keys, toJSON applied), so it finds exactly what would be sent or stored as null: the
 * SDK checks an event before sending it, the server a parsed one (where JSON.parse read `1e400` as Infinity). Beside
 * each object's key list it allocates only the answer. Recursive: the server calls it only on input whose depth it
 * has bounded.
 */
export function nonFiniteNumberIn(value: unknown): NonFinite | null {
  return found('', value);
}

function found(key: string, raw: unknown): NonFinite | null {
  const value = hasToJson(raw) ? raw.toJSON(key) : raw;
  if (typeof value === 'number') return Number.isFinite(value) ? null : { path: '', value };
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = found(String(i), value[i]);
      if (inner !== null) return under(`[${i}]`, inner);
    }
    return null;
  }
  const record = value as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const inner = found(name, record[name]);
    if (inner !== null) return under(name, inner);
  }
  return null;
}

function hasToJson(value: unknown): value is { toJSON(key: string): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** `inner` as seen from its parent, which reaches it through `segment` (a key, or `[i]`). */
function under(segment: string, inner: NonFinite): NonFinite {
  const path =
    inner.path === '' ? segment : inner.path.startsWith('[') ? segment + inner.path : `${segment}.${inner.path}`;
  return { path, value: inner.value };
}

/** The server's reason for a non-finite number in parsed input: JSON text can only have held one out of range. */
export const NON_FINITE_MESSAGE =
  'is a number beyond ±1.7976931348623157e308 (the 64-bit float range): JSON cannot carry it (it would become null)';
