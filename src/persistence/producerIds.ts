import type { EventInput } from '../protocol/eventInput.js';
import { type EventContent, sameContent } from './sameContent.js';

/** What becomes of one input of a group: appended, or a resend that resolves to an existing record. */
export type ProducerIdDecision<R> =
  /** Appended as a new record. */
  | { readonly kind: 'new' }
  /** A resend of `record`, already committed (before this commit, or by an earlier group of it): nothing appended. */
  | { readonly kind: 'duplicate'; readonly record: R }
  /** A resend of the input at `index` of this group, which is new: resolves to the record that input gets. */
  | { readonly kind: 'repeat'; readonly index: number };

/** A group's producer ids, resolved: a decision per input, or the first input whose id names other content. */
export type GroupResolution<R> =
  | { readonly ok: true; readonly decisions: readonly ProducerIdDecision<R>[] }
  | { readonly ok: false; readonly conflict: { readonly index: number; readonly id: string } };

const NEW: ProducerIdDecision<never> = { kind: 'new' };

/** True when some input of the group carries a producer id (only then does resolution need to look anything up). */
export function hasProducerIds(group: readonly Pick<EventInput, 'id'>[]): boolean {
  for (const input of group) if (input.id !== null) return true;
  return false;
}

/**
 * Resolve a group's producer ids, first write wins: an id already committed (`earlierInCommit`, then `committed`)
 * or earlier in the group resolves to that record or input when the content is the same (payload key order does
 * not matter), and makes the whole group a conflict when it is not. Pure: `committed` is the only way it reads.
 */
export function resolveProducerIds<R extends EventContent>(
  group: readonly (EventContent & Pick<EventInput, 'id'>)[],
  committed: (id: string) => R | null,
  earlierInCommit: ReadonlyMap<string, R>,
): GroupResolution<R> {
  const decisions: ProducerIdDecision<R>[] = new Array<ProducerIdDecision<R>>(group.length).fill(NEW);
  const firstIndex = new Map<string, number>();
  for (let i = 0; i < group.length; i++) {
    const input = group[i]!;
    if (input.id === null) continue;
    const earlier = firstIndex.get(input.id);
    if (earlier !== undefined) {
      if (!sameContent(group[earlier]!, input)) return { ok: false, conflict: { index: i, id: input.id } };
      const first = decisions[earlier]!;
      decisions[i] = first.kind === 'new' ? { kind: 'repeat', index: earlier } : first;
      continue;
    }
    firstIndex.set(input.id, i);
    const found = earlierInCommit.get(input.id) ?? committed(input.id);
    if (found === null) continue;
    if (!sameContent(found, input)) return { ok: false, conflict: { index: i, id: input.id } };
    decisions[i] = { kind: 'duplicate', record: found };
  }
  return { ok: true, decisions };
}
