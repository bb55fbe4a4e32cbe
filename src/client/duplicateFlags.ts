/**
 * Which events of an acknowledged message were duplicates (their id was stored already), from the ack's `duplicates`
 * count and, when some but not all were, its `offsets`; null when none was or the ack cannot say. Hint: the ack
 * counts duplicates but does not name them. Offsets rise in commit order, so the events this message stored hold its
 * `count - duplicates` highest offsets, each at its first occurrence (an id twice in one message is stored once, the
 * second a duplicate at the same offset); every other event is a duplicate at an older offset. In cluster mode another
 * producer's event can land between a message's events, so a race of two producers sending one id at the same moment
 * can mark the wrong one of that message's events; the count is right either way.
 */
export function duplicateFlags(
  count: number,
  duplicates: number | undefined,
  offsets: readonly number[] | undefined,
): readonly boolean[] | null {
  if (duplicates === undefined || duplicates <= 0) return null;
  if (duplicates >= count) return new Array<boolean>(count).fill(true);
  if (offsets?.length !== count) return null;
  const firstAt = new Map<number, number>();
  for (const [i, offset] of offsets.entries()) if (!firstAt.has(offset)) firstAt.set(offset, i);
  const stored = count - duplicates;
  // Hint: fewer distinct offsets than events stored means the ack is not what this reasoning expects: say nothing.
  if (firstAt.size < stored) return null;
  const flags = new Array<boolean>(count).fill(true);
  const newest = [...firstAt.keys()].sort((a, b) => b - a).slice(0, stored);
  for (const offset of newest) flags[firstAt.get(offset)!] = false;
  return flags;
}
