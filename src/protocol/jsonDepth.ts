/**
 * Where parsed JSON nests deeper than `max` containers, as a field path (`payload.a[0].b`), or null when it does
 * not. `{}` and `[]` are depth 1.
 *
 * Hint: iterative on purpose. Deep input must be refused before anything recursive (JSON.stringify, valibot,
 * structured clone) touches it: a payload nested 10,000 deep overflows the stack in JSON.stringify.
 */
export function tooDeepAt(value: unknown, max: number, root = ''): string | null {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 1, path: root }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth > max) return item.path === '' ? 'body' : item.path;
    if (Array.isArray(item.value)) {
      for (let i = 0; i < item.value.length; i++)
        stack.push({ value: item.value[i], depth: item.depth + 1, path: `${item.path}[${i}]` });
    } else {
      for (const [key, child] of Object.entries(item.value)) {
        if (typeof child === 'object' && child !== null) {
          stack.push({ value: child, depth: item.depth + 1, path: item.path === '' ? key : `${item.path}.${key}` });
        }
      }
    }
  }
  return null;
}
