/**
 * Where parsed JSON holds a number JSON text cannot carry (`1e400` parses to Infinity, which JSON.stringify writes as
 * `null`), as a field path (`payload.a[0]`), or null when there is none. Iterative, like tooDeepAt, so it is safe on
 * input of any depth.
 */
export function nonFiniteAt(value: unknown, root = ''): string | null {
  const stack: { value: unknown; path: string }[] = [{ value, path: root }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'number' && !Number.isFinite(item.value)) return item.path === '' ? 'body' : item.path;
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (Array.isArray(item.value)) {
      for (let i = item.value.length - 1; i >= 0; i--) stack.push({ value: item.value[i], path: `${item.path}[${i}]` });
    } else {
      const entries = Object.entries(item.value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        stack.push({ value: child, path: item.path === '' ? key : `${item.path}.${key}` });
      }
    }
  }
  return null;
}

/** The reason given for the field nonFiniteAt names. */
export const NON_FINITE_MESSAGE =
  'is a number beyond ±1.7976931348623157e308 (the 64-bit float range): JSON cannot carry it (it would become null)';
