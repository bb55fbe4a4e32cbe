import type { AnyActorRef } from 'xstate';
import type { EventLog } from '../persistence/eventLog.js';
import type { Logger } from './logger.js';
import type { SnapshotCadence } from './sessionSnapshot.js';

/** Options for the registry; the clock is injected so passivation is testable without sleeping. */
export interface SessionRegistryOptions {
  readonly log: EventLog;
  /**
   * Monotonic ms (the scheduler's in the pipeline): idle passivation and fold deadlines. Hint: not the wall clock, or
   * a step back of an hour kept every session an hour longer and a step forward passivated all at once.
   */
  readonly monotonic: () => number;
  readonly idleMs: number;
  readonly maxActive: number;
  readonly logger: Logger;
  /** The supervisor: session actors are its children, so their failures reach it as `xstate.error.actor.<id>`. */
  readonly parent: () => AnyActorRef;
  /** When a session actor's state is snapshotted (the defaults of sessionSnapshot.ts unless given). */
  readonly snapshots?: SnapshotCadence;
}
