import { hasToJson } from '../protocol/nulledValues.js';

/** Why an event nested past the stack cannot be sent. */
export const TOO_DEEP =
  'the event nests too deeply to serialize (the stack overflowed); a server takes MAX_JSON_DEPTH levels, 32 by default';

/**
 * Where a value holds what makes JSON.stringify throw, named for an error message: a BigInt
 * (`payload.score is a BigInt`), a cycle (`payload.self refers back to payload`) or nesting past the stack. Hint: called only after
 * stringify threw, so its cost is off the publish path; it applies toJSON as stringify does, so it names the value
 * stringify met. Null when it finds none (the caller then keeps stringify's own message).
 */
export function unsendableValueIn(value: unknown): string | null {
  try {
    return walk(value, '', '', []);
  } catch (error) {
    // Hint: nesting deep enough to overflow the stack here overflowed stringify too, whose own message only said
    // "Maximum call stack size exceeded"; another error is a toJSON's, which stringify's message names.
    return error instanceof RangeError ? TOO_DEEP : null;
  }
}

function walk(raw: unknown, key: string, path: string, ancestors: { value: object; path: string }[]): string | null {
  const value = hasToJson(raw) ? raw.toJSON(key) : raw;
  const shown = path === '' ? 'the event' : path;
  if (typeof value === 'bigint')
    return `${shown} is a BigInt (${value}n), which JSON cannot carry: send it as a string`;
  if (typeof value !== 'object' || value === null) return null;
  const back = ancestors.find((a) => a.value === value);
  if (back !== undefined) return `${shown} refers back to ${back.path === '' ? 'the event' : back.path} (a cycle)`;
  ancestors.push({ value, path });
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [String(i), item])
    : Object.entries(value);
  for (const [name, item] of entries) {
    const inner = Array.isArray(value) ? `${path}[${name}]` : path === '' ? name : `${path}.${name}`;
    const found = walk(item, name, inner, ancestors);
    if (found !== null) return found;
  }
  ancestors.pop();
  return null;
}
