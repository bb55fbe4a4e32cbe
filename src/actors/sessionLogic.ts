import { foldLifecycle, foldRecords, lifecycleOf, sessionMachine } from './sessionMachine.js';
import { foldSummary } from './sessionSummary.js';

/**
 * The session actor's logic: its machine, with the fold of committed records taken as a plain transition. A batch
 * folds counters with the machine's own `foldCounters` function and its lifecycle records with `foldLifecycle`, the
 * machine's transitions as a loop (`sessionMachine.test.ts` holds both to the same reference fold however the records
 * are batched). This skips xstate's microsteps, one per raised lifecycle record, which cost about six times a plain
 * fold (measured with the bench's traffic); a new status is resolved by the machine itself (`resolveState`). Every
 * other event goes through the machine.
 */
export const sessionLogic: typeof sessionMachine = Object.create(sessionMachine);

sessionLogic.transition = (snapshot, event, scope) => {
  if ((event.type !== 'session.records' && event.type !== 'session.summary') || snapshot.status !== 'active')
    return sessionMachine.transition(snapshot, event, scope);
  const lifecycle = foldLifecycle(snapshot.value, snapshot.context, lifecycleOf(event));
  const counters =
    event.type === 'session.records'
      ? foldRecords(snapshot.context, event.records)
      : foldSummary(snapshot.context, event.summary);
  const context = { ...snapshot.context, ...counters };
  if (lifecycle === null) return { ...snapshot, context };
  const { status, started_at, completed_at } = lifecycle;
  const next = { ...context, started_at, completed_at };
  if (status === snapshot.value) return { ...snapshot, context: next };
  // Hint: the session machine spawns no children, so the resolved snapshot (children {}) loses nothing.
  return sessionMachine.resolveState({ value: status, context: next });
};
