/**
 * Up to this many ids a scan of the array is cheaper than hashing; past it a Set answers each lookup at once. Hint: by
 * scans alone, a session of 60,000 distinct users took 2 s of the I/O thread to fold (quadratic in its users).
 */
const SCAN_LIMIT = 16;

/** Distinct ids in the order first seen, as cheap to add to with two of them as with two hundred thousand. */
export class DistinctIds {
  private readonly ids: string[];
  private seen: Set<string> | null = null;

  /** Start from `initial` (copied; assumed distinct). */
  constructor(initial: readonly string[] = []) {
    this.ids = initial.slice();
  }

  /** Add `id` unless present; true when it was new. */
  add(id: string): boolean {
    if (this.seen === null && this.ids.length >= SCAN_LIMIT) this.seen = new Set(this.ids);
    if (this.seen === null ? this.ids.includes(id) : this.seen.has(id)) return false;
    this.seen?.add(id);
    this.ids.push(id);
    return true;
  }

  /** The ids, first seen first (the caller must not change the array). */
  get values(): readonly string[] {
    return this.ids;
  }
}

/** `existing` with the ids of `added` it lacks appended in order; the same array when none is new. */
export function withIds(existing: readonly string[], added: readonly string[]): readonly string[] {
  let fresh: DistinctIds | null = null;
  const known = added.length <= SCAN_LIMIT ? null : new Set(existing);
  for (const id of added) {
    if (known === null ? existing.includes(id) : known.has(id)) continue;
    fresh ??= new DistinctIds(existing);
    fresh.add(id);
  }
  return fresh === null ? existing : fresh.values;
}
