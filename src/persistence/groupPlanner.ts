import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { GroupOutcome } from './eventLog.js';
import { hasProducerIds, type ProducerIdDecision, resolveProducerIds } from './producerIds.js';

/** What planning a group commit needs: where offsets start, the commit's one timestamp, ids, lookups and a row sink. */
export interface PlanContext {
  /** The offset the first appended record gets; advanced past every record appended. */
  next: number;
  readonly ts: number;
  /** The id of an event sent without one, given the offset it gets (the server's ids name it: offsetIds). */
  readonly newId: (offset: number) => string;
  /** A record committed before this commit, by id (the rows of this commit are found in the plan itself). */
  readonly getById: (id: string) => StoredEvent | null;
  /** Called before the first lookup of a group with producer ids (the inline writer flushes buffered rows). */
  readonly beforeLookup: () => void;
  /** One appended record, in offset order, with its producer id (null when the server made the id). */
  readonly write: (event: StoredEvent, producerId: string | null) => void;
}

/**
 * Assign offsets and resolve producer ids for one group commit, group by group (a conflict rejects only its group).
 * Writes go to `context.write`; the inline appender runs this inside its transaction, the writer thread's client
 * runs it on the I/O thread and ships the rows. Only `context.next` changes.
 */
export function planGroups(groups: readonly (readonly EventInput[])[], context: PlanContext): GroupOutcome[] {
  // Producer ids committed by earlier groups of this commit, so a repeat in a later group resolves without a lookup.
  const committedHere = new Map<string, StoredEvent>();
  const outcomes = new Array<GroupOutcome>(groups.length);
  for (let g = 0; g < groups.length; g++) outcomes[g] = planGroup(groups[g]!, context, committedHere);
  return outcomes;
}

function planGroup(
  group: readonly EventInput[],
  context: PlanContext,
  committedHere: Map<string, StoredEvent>,
): GroupOutcome {
  let decisions: readonly ProducerIdDecision<StoredEvent>[] | null = null;
  if (hasProducerIds(group)) {
    context.beforeLookup();
    const resolved = resolveProducerIds(group, context.getById, committedHere);
    if (!resolved.ok) return resolved;
    decisions = resolved.decisions;
  }
  const records: StoredEvent[] = new Array<StoredEvent>(group.length);
  // Hint: without producer ids every input is appended, in order, so `appended` is `records` (one array less per
  // group: in ingest-ws-single every message is a group of one).
  const appended: StoredEvent[] = decisions === null ? records : [];
  for (let i = 0; i < group.length; i++) {
    const decision = decisions?.[i];
    if (decision !== undefined && decision.kind !== 'new') {
      records[i] = decision.kind === 'duplicate' ? decision.record : records[decision.index]!;
      continue;
    }
    const input = group[i]!;
    const offset = context.next++;
    const event: StoredEvent = {
      offset,
      id: input.id ?? context.newId(offset),
      event_type: input.event_type,
      source: input.source,
      session_id: input.session_id,
      user_id: input.user_id,
      payloadJson: input.payloadJson,
      ts: context.ts,
    };
    context.write(event, input.id);
    if (input.id !== null) committedHere.set(input.id, event);
    records[i] = event;
    if (appended !== records) appended.push(event);
  }
  return { ok: true, records, appended };
}
