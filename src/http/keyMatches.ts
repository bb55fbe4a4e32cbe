import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether `given` is one of `keys`, compared in constant time. Hint: of digests, so not even a key's length shows in
 * the timing, and against every key, so neither does which one matched.
 */
export function keyMatches(given: string, keys: readonly string[]): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const offered = digest(given);
  let matched = false;
  for (const key of keys) matched = timingSafeEqual(offered, digest(key)) || matched;
  return matched;
}
