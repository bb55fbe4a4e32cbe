import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

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
 * Whether this node's stream still exists, from the answers to its requests about it. An operator who deletes the
 * stream under running nodes (and makes no new one) used to leave them ready, retrying every publish to a 503 that
 * said the events "may be in the log", and logging "stream not found" four times a second; now, once the stream has
 * been missing for MISSING_MS, the node says so once, /readiness and publishes name it, until the stream answers.
 */
export class StreamPresence {
  private missingSince: number | null = null;
  private told = false;

  constructor(
    private readonly stream: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The stream answered; a line for the log when its absence had been told, else null. */
  answered(): string | null {
    const told = this.told;
    this.missingSince = null;
    this.told = false;
    return told ? `stream ${this.stream} answers again; this node applies and accepts publishes again` : null;
  }

  /** A request about the stream failed with `error`: true when that is the stream missing (said by `problem`). */
  failed(error: unknown): boolean {
    if (!isStreamNotFound(error)) return false;
    this.missingSince ??= this.now();
    return true;
  }

  /** Why this node refuses publishes: the stream has been missing for MISSING_MS; null otherwise. */
  get problem(): string | null {
    if (this.missingSince === null || this.now() - this.missingSince < MISSING_MS) return null;
    return (
      `stream ${this.stream} no longer exists (deleted?): this node refuses publishes and reads serve what it applied; ` +
      'restore the stream, or restart the node to make a new one (a new log; see NATS_ALLOW_NEW_STREAM)'
    );
  }

  /** The problem, the first time it is due to be logged; null before and after. */
  newlyMissing(): string | null {
    const problem = this.problem;
    if (problem === null || this.told) return null;
    this.told = true;
    return problem;
  }
}
