import { JetStreamApiCodes, JetStreamApiError, type StreamConfig } from '@nats-io/jetstream';
import { reviewStream } from './streamChecks.js';

/**
 * How long every request about the stream must have answered "stream not found" before this node counts it as gone.
 * Hint: a grace, so that no passing answer during an election or a server restart stops a node's writes.
 */
export const MISSING_MS = 5_000;

/** True for JetStream's "stream not found" (API error 10059), however the client reports it. */
export function isStreamNotFound(error: unknown): boolean {
  if (error instanceof JetStreamApiError) return error.code === JetStreamApiCodes.StreamNotFound;
  return error instanceof Error && /stream not found/i.test(error.message);
}

/**
 * Whether this node's stream can still hold the log, from the answers to its requests about it. An operator may
 * delete the stream under running nodes, or change it so that it cannot hold the log (subjects, retention, sealed);
 * nodes used to stay ready, retrying every publish to a 503 that said the events "may be in the log" (and logging
 * "stream not found" four times a second). Now the node says so once, and /readiness and publishes name it, until
 * the stream is back as it was.
 */
export class StreamPresence {
  private missingSince: number | null = null;
  private unfit: string | null = null;
  /** Why the stream's description is refused (see identityChange), or null. */
  private described: string | null = null;
  private told: string | null = null;
  private toldDescribed = false;

  constructor(
    private readonly stream: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The stream answered with its config: it exists; reviewed as at start (reviewStream), it may not hold the log.
   * `described` says why its description is refused (edited to name another epoch), or is null.
   */
  answered(config: StreamConfig, described: string | null = null): void {
    this.missingSince = null;
    this.described = described;
    const refusals = reviewStream(config, { replicas: 0 }).refusals;
    this.unfit =
      refusals.length === 0
        ? null
        : `stream ${this.stream} was changed so that it cannot hold the log (${refusals.join('; ')}): this node ` +
          'refuses publishes until it is changed back';
  }

  /** A request about the stream failed with `error`: true when that is the stream missing (said by `problem`). */
  failed(error: unknown): boolean {
    if (!isStreamNotFound(error)) return false;
    this.missingSince ??= this.now();
    return true;
  }

  /** Why this node refuses publishes: the stream cannot hold the log, or has been missing for MISSING_MS; or null. */
  get problem(): string | null {
    if (this.described !== null) return this.described;
    if (this.unfit !== null) return this.unfit;
    if (this.missingSince === null || this.now() - this.missingSince < MISSING_MS) return null;
    return (
      `stream ${this.stream} no longer exists (deleted?): this node refuses publishes and reads serve what it applied; ` +
      'restore the stream, or restart the node to make a new one (a new log; see NATS_ALLOW_NEW_STREAM)'
    );
  }

  /** A line for the log when `problem` changed since the last one told (its end too); null when it did not. */
  change(): string | null {
    const problem = this.problem;
    if (problem === this.told) return null;
    const wasDescribed = this.toldDescribed;
    this.told = problem;
    this.toldDescribed = problem !== null && problem === this.described;
    if (problem !== null) return problem;
    return wasDescribed
      ? `stream ${this.stream}'s description names this log's epoch again; this node accepts publishes again`
      : `stream ${this.stream} can hold the log again; this node accepts publishes again`;
  }
}
