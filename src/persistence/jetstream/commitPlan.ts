import type { EventInput } from '../../protocol/eventInput.js';
import type { StoredEvent } from '../../protocol/eventRecord.js';
import { type GroupOutcome, LogWriteError } from '../eventLog.js';
import { resolveProducerIds } from '../producerIds.js';
import { type EventContent, sameContent } from '../sameContent.js';
import type { AppliedEntry } from '../sqliteReplicaLog.js';
import type { EventMessage } from './eventMessage.js';

/** Where one input's record comes from: a message this commit publishes, or a record the replica already holds. */
type Slot =
  | { readonly kind: 'message'; readonly index: number; readonly group: number }
  | { readonly kind: 'stored'; readonly record: StoredEvent };

type Known = EventContent & { readonly slot: Slot };

type GroupPlan =
  | { readonly ok: true; readonly slots: readonly Slot[] }
  | { readonly ok: false; readonly conflict: { readonly index: number; readonly id: string } };

/** A commit decided against the local replica before anything is published. */
export interface CommitPlan {
  readonly groups: readonly GroupPlan[];
  /** One stream message per event to append, in input order. */
  readonly messages: readonly EventMessage[];
}

/** What the stream and this replica said about one published message. */
export interface Published {
  /** True when JetStream answered that the stream already held this Nats-Msg-Id. */
  readonly duplicate: boolean;
  /** What this replica applied at the sequence of the PubAck. */
  readonly applied: AppliedEntry;
}

const contentOf = (input: EventInput): EventContent => ({
  event_type: input.event_type,
  source: input.source,
  session_id: input.session_id,
  user_id: input.user_id,
  payloadJson: input.payloadJson,
});

/**
 * Plan a commit as embedded mode decides it, against this node's replica: producer ids already stored (or earlier in
 * the call) resolve to their record or reject their group with a conflict before anything is published, and every
 * other input becomes one message. Every id-less input takes a generated id, in order, whether or not its group is
 * rejected (so an injected id source stays in step). Pure: `stored` is the only way it reads.
 */
export function planCommit(
  groups: readonly (readonly EventInput[])[],
  ts: number,
  stored: (id: string) => StoredEvent | null,
  newId: () => string,
): CommitPlan {
  const generated = groups.map((group) => group.map((input) => input.id ?? newId()));
  const messages: EventMessage[] = [];
  const earlier = new Map<string, Known>();
  const committed = (id: string): Known | null => {
    const record = stored(id);
    return record === null ? null : { ...contentOf(record), slot: { kind: 'stored', record } };
  };
  const plans = groups.map((group, g): GroupPlan => {
    const resolved = resolveProducerIds<Known>(group, committed, earlier);
    if (!resolved.ok) return resolved;
    const slots: Slot[] = [];
    for (let i = 0; i < group.length; i++) {
      const decision = resolved.decisions[i]!;
      if (decision.kind === 'duplicate') slots.push(decision.record.slot);
      else if (decision.kind === 'repeat') slots.push(slots[decision.index]!);
      else {
        const input = group[i]!;
        const slot: Slot = { kind: 'message', index: messages.length, group: g };
        messages.push({ ts, producer: input.id !== null, input: { ...input, id: generated[g]![i]! } });
        if (input.id !== null) earlier.set(input.id, { ...contentOf(input), slot });
        slots.push(slot);
      }
    }
    return { ok: true, slots };
  });
  return { groups: plans, messages };
}

type MessageResult = { readonly record: StoredEvent; readonly appended: boolean } | null;

/**
 * One published message's result: its own record (appended), the original record of its producer id (a duplicate:
 * JetStream deduped it, or the replica made its offset a no-op because the id was stored first), or null for a
 * conflict (the id was stored first with other content). Throws LogWriteError when the record cannot be found.
 */
function messageResult(message: EventMessage, published: Published, stored: (id: string) => StoredEvent | null) {
  const { record } = published.applied;
  const id = message.input.id;
  if (record !== null && record.id === id && !(message.producer && published.duplicate))
    return { record, appended: true };
  const original = record !== null && record.id === id ? record : stored(id);
  if (original === null) {
    const why = published.applied.record === null ? published.applied.reason : `offset holds ${record?.id}`;
    throw new LogWriteError(
      `event ${id} was acked at ${published.applied.offset} but is not in this replica (${why})`,
      {
        uncertain: true,
      },
    );
  }
  // Hint: a generated id is this node's alone, so a duplicate of it is our own earlier attempt.
  if (!message.producer) return { record: original, appended: true };
  return sameContent(original, message.input) ? { record: original, appended: false } : null;
}

/** The commit's outcomes, group by group, once every message is published and applied here. */
export function resolveCommit(
  plan: CommitPlan,
  published: readonly Published[],
  stored: (id: string) => StoredEvent | null,
): GroupOutcome[] {
  const results: MessageResult[] = plan.messages.map((m, i) => messageResult(m, published[i]!, stored));
  return plan.groups.map((group, g): GroupOutcome => {
    if (!group.ok) return group;
    const records: StoredEvent[] = [];
    const appended: StoredEvent[] = [];
    const seen = new Set<number>();
    for (let i = 0; i < group.slots.length; i++) {
      const slot = group.slots[i]!;
      if (slot.kind === 'stored') {
        records.push(slot.record);
        continue;
      }
      const result = results[slot.index]!;
      // Hint: another node stored this producer id first with other content; the group's other events may be in.
      if (result === null) return { ok: false, conflict: { index: i, id: plan.messages[slot.index]!.input.id } };
      records.push(result.record);
      if (result.appended && slot.group === g && !seen.has(slot.index)) appended.push(result.record);
      seen.add(slot.index);
    }
    appended.sort((a, b) => a.offset - b.offset);
    return { ok: true, records, appended };
  });
}
