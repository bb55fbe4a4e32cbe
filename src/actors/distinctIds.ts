/**
 * Up to this many ids a scan of the array is cheaper than hashing; past it a Set answers each lookup at once. Hint: by
 * scans alone, a session of 60,000 distinct users took 2 s of the I/O thread to fold (quadratic in its users).
 */
const SCAN_LIMIT = 16;

/** Distinct ids in the order first seen, as cheap to add to with two of them as with two hundred thousand. */
export class DistinctIds {
  private readonly ids: string[];
  private seen: Set<string> | null = null;

  /** Start from the first `count` ids of `initial` (copied; assumed distinct), and `seen` if it holds exactly them. */
  constructor(initial: readonly string[] = [], count = initial.length, seen: Set<string> | null = null) {
    this.ids = initial.slice(0, count);
    this.seen = seen;
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
