import { type AnyActorRef, createActor, transition } from 'xstate';
import type { EventLog } from '../persistence/eventLog.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { Logger } from './logger.js';
import { foldPages, initialFold, type SessionFold } from './sessionCatchUp.js';
import type { SessionActor, SessionEntry } from './sessionEntry.js';
import { sessionLogic } from './sessionLogic.js';
import type { SessionRegistryOptions } from './sessionRegistryOptions.js';
import { readSnapshot, type SessionSnapshot } from './sessionSnapshot.js';

/** A session's fold from the log under way: what it folded of the records below `from`, up to `upTo` in all. */
export interface Hydration {
  readonly sessionId: string;
  readonly upTo: number;
  /**
   * The fold so far; null when the session's records are `head` alone (a new or short session: the actor starts as
   * the machine does and folds them, as cheap as it gets: a fold without an actor first costs another initial state).
   */
  readonly fold: SessionFold | null;
  readonly head: readonly StoredEvent[];
  /** The next offset to read from; null once every record up to `upTo` is folded. */
  readonly from: number | null;
  /** The snapshot it started from (null: from the session's first record). */
  readonly restored: SessionSnapshot | null;
}

/** What a hydration reads with. */
export interface HydrationSource {
  readonly log: EventLog;
  /** Where an unusable snapshot is told (see readSnapshot). */
  readonly logger: Logger;
  /** Sessions with fewer records are never snapshotted (see SnapshotCadence.minEvents). */
  readonly fewest: number;
  /** The monotonic clock a deadline is on. */
  readonly clock: () => number;
}

/**
 * Start folding `sessionId`'s records up to `upTo`: from its saved snapshot if one can start it, else from the first.
 * Hint: the projection is asked only for a session with at least `fewest` records (fewer are never snapshotted), so
 * a session new to this process costs one empty index lookup, as before snapshots (the snapshot lookup costs ~5 µs,
 * once per new session under churn).
 */
function startHydration(source: HydrationSource, sessionId: string, upTo: number): Hydration {
  const probe = Math.max(1, source.fewest);
  const head = source.log.readFrom(1, { session_id: sessionId }, probe, upTo);
  const restored = head.length < probe ? null : readSnapshot(source.log, source.logger, sessionId, upTo);
  if (restored !== null) {
    const fold = sessionLogic.resolveState({ value: restored.status, context: restored.context });
    return { sessionId, upTo, fold, head: [], from: (restored.context.last_offset ?? 0) + 1, restored };
  }
  if (head.length < probe) return { sessionId, upTo, fold: null, head, from: null, restored: null };
  const [fold] = transition(sessionLogic, initialFold(sessionId), { type: 'session.records', records: head });
  return { sessionId, upTo, fold, head: [], from: head[head.length - 1]!.offset + 1, restored: null };
}

/**
 * Fold `sessionId`'s records up to `upTo` until `deadline` (at least one page of 500): `under` is the hydration a
 * call before left (gone on with when its `upTo` is not past this one: records are only ever added past it). Done when its `from` is null. Hint: a session retention
 * cut has no usable snapshot, and its first read after the delete folds all of it (~40 ms for 13,500 records); in
 * pages, a fold slice ends near its deadline and the next slice goes on.
 */
export function hydrateUntil(
  source: HydrationSource,
  sessionId: string,
  upTo: number,
  under: Hydration | null,
  deadline: number,
): Hydration {
  // Hint: a fold under way goes on to a later `upTo` (records routed since, to other sessions or already folded
  // into a remembered status): it reads on up to there; begun again at each slice, a long session's fold never ended
  // while records were routed between slices.
  const started = under !== null && under.upTo <= upTo ? { ...under, upTo } : startHydration(source, sessionId, upTo);
  if (started.from === null || started.fold === null) return started;
  const { snapshot, next } = foldPages(source.log, sessionId, started.fold, started.from, deadline, source.clock, upTo);
  return { ...started, fold: snapshot, from: next };
}

/** A started session actor (id `id`, a child of `parent`) holding a finished hydration's fold. */
export function hydratedActor(hydration: Hydration, id: string, parent: AnyActorRef): SessionActor {
  const { fold, head, sessionId } = hydration;
  const options = { id, parent, input: { session_id: sessionId } };
  // Hint: with a snapshot, the machine starts from it and ignores the input.
  const actor =
    fold === null
      ? createActor(sessionLogic, options)
      : createActor(sessionLogic, {
          ...options,
          snapshot: sessionLogic.resolveState({ value: fold.value, context: fold.context }),
        });
  actor.start();
  if (head.length > 0) actor.send({ type: 'session.records', records: head });
  return actor;
}

/**
 * Session actors for the registry's entries, folded from the log: at once, or by a deadline with the fold under way
 * kept on the entry for the next call (`SessionEntry.hydration`).
 */
export class EntryHydration {
  private readonly source: HydrationSource;
  private readonly parent: () => AnyActorRef;

  /** Actor ids are `idPrefix` and the session id; `fewest` and `clock` as in HydrationSource. */
  constructor(
    options: Pick<SessionRegistryOptions, 'log' | 'logger' | 'parent'>,
    fewest: number,
    clock: () => number,
    private readonly idPrefix: string,
  ) {
    this.source = { log: options.log, logger: options.logger, fewest, clock };
    this.parent = options.parent;
  }

  /** The entry's new actor, folded up to `upTo` by `deadline` (else null, to go on at the next call). */
  hydrate(entry: SessionEntry, upTo: number, deadline = Number.POSITIVE_INFINITY): SessionActor | null {
    const hydration = hydrateUntil(this.source, entry.sessionId, upTo, entry.hydration, deadline);
    entry.hydration = hydration.from === null ? null : hydration;
    if (hydration.from !== null) return null;
    entry.actor = hydratedActor(hydration, this.idPrefix + entry.sessionId, this.parent());
    entry.snapshotCount = hydration.restored?.context.event_count ?? 0;
    return entry.actor;
  }
}
