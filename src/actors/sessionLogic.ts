import { foldRecords, hasNewLifecycle, sessionMachine } from './sessionMachine.js';

/**
 * The session actor's logic: its machine, with the common fold taken as a plain transition. A batch without a new
 * lifecycle record only folds counters (the machine's `foldCounters`, the same function), so it returns the snapshot
 * with the new context and skips xstate's microstep resolution, as subscriberLogic does for live deliveries. Every
 * other event, and a batch with a lifecycle record (a raise and maybe a new state), goes through the machine.
 */
export const sessionLogic: typeof sessionMachine = Object.create(sessionMachine);

sessionLogic.transition = (snapshot, event, scope) => {
  if (
    event.type !== 'session.records' ||
    snapshot.status !== 'active' ||
    hasNewLifecycle(snapshot.context, event.records)
  )
    return sessionMachine.transition(snapshot, event, scope);
  return { ...snapshot, context: { ...snapshot.context, ...foldRecords(snapshot.context, event.records) } };
};
