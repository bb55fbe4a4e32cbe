import type { InspectionEvent } from 'xstate';
import type { EventLog } from '../persistence/eventLog.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { Logger } from './logger.js';
import type { PipelineMetrics } from './pipelineMetrics.js';
import type { Scheduler } from './scheduler.js';

/** Pipeline tuning, from configuration. */
export interface PipelineOptions {
  readonly log: EventLog;
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  readonly newSubscriberId: () => string;
  readonly maxPendingEvents: number;
  /** MAX_PENDING_BYTES: payload characters waiting for a commit (default no bound). */
  readonly maxPendingBytes?: number;
  readonly maxSubscribers: number;
  readonly subscriberBufferBytes: number;
  /** MAX_SUBSCRIBER_BUFFER_TOTAL_BYTES (default no bound). */
  readonly subscriberBufferTotalBytes?: number;
  readonly slowConsumerTimeoutMs: number;
  readonly keepaliveMs: number;
  readonly checkpointMs: number;
  readonly subscribeTimeoutMs: number;
  readonly sessionIdleMs: number;
  readonly maxActiveSessions: number;
  readonly metrics?: PipelineMetrics;
  /** Offsets one step of DELETE /events deletes at most (RETENTION_STEP_OFFSETS by default; tests set fewer). */
  readonly retentionStepOffsets?: number;
  /**
   * Group commits the log may hold at once (default 1, the embedded log: commits in order, records routed at
   * commit). Cluster mode sets more (JetStreamEventLog.concurrentCommits): its records are routed from the replica
   * feed, so a commit's PubAck round trip and apply overlap the next commits'.
   */
  readonly maxInFlightCommits?: number;
  /**
   * Cluster mode: records applied from the replicated log, this node's own commits included. When set, live routing
   * comes only from it (a commit's own records arrive through it too, so routing them at commit would repeat them).
   */
  readonly replicaFeed?: {
    onApplied(listener: (records: readonly StoredEvent[]) => void): void;
    /** Events deleted because the replica followed a purge made elsewhere: session actors are reset. */
    onFollowedDelete(listener: (deleted: number) => void): void;
  };
  /** xstate inspection of the actor system (tests count messages with it). */
  readonly inspect?: (event: InspectionEvent) => void;
}

/** Thrown when the supervisor did not answer a request (it only answers while it runs). */
export class SupervisorUnavailableError extends Error {
  override readonly name = 'SupervisorUnavailableError';
}
