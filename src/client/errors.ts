/** Base class of every error the client raises; `cause` carries the underlying error when there is one. */
export class PipelineClientError extends Error {
  override readonly name: string = 'PipelineClientError';
}

/**
 * The first field a server message names (`"source: is required"` → `source`, `"[1].source: …"` → `[1].source`), or
 * null. Hint: a batch's fields start with the event's index, which the pattern once refused (a batch's field was null).
 */
function fieldOf(message: string): string | null {
  const match = /^((?:\[\d+\]|[A-Za-z_])[\w.[\]]*): /.exec(message);
  return match === null ? null : match[1]!;
}

/** The server refused a publish for good (invalid event, conflicting producer id): retrying cannot help. */
export class PublishRejectedError extends PipelineClientError {
  override readonly name = 'PublishRejectedError';
  /** The field the server named, e.g. `source`, or `[3].event_type` in a batch (its index in the batch), or null. */
  readonly field: string | null;
  /** The server's numeric code when it sent one (409 for a conflicting producer id). */
  readonly code: number | null;
  constructor(
    readonly serverMessage: string,
    code: number | null = null,
  ) {
    super(serverMessage);
    this.field = fieldOf(serverMessage);
    this.code = code;
  }
}

/**
 * A publish was not acknowledged within `deliveryTimeoutMs` (the server stayed away or kept saying retry). It may
 * still have been stored: publish the events again with `ids` to make sure, and a copy stored already is a duplicate.
 */
export class PublishTimeoutError extends PipelineClientError {
  override readonly name = 'PublishTimeoutError';
  constructor(
    message: string,
    /** Each event's producer id (its own, or the one the SDK gave it), in order; empty when none was ever sent. */
    readonly ids: readonly string[] = [],
  ) {
    super(message);
  }
}

/** The client was closed before the operation could finish. */
export class ClientClosedError extends PipelineClientError {
  override readonly name = 'ClientClosedError';
}

/** The server refused the subscription (bad filter, bad key): reconnecting cannot help. */
export class SubscriptionRejectedError extends PipelineClientError {
  override readonly name = 'SubscriptionRejectedError';
  /** The field the server named, or null. */
  readonly field: string | null;
  constructor(
    readonly serverMessage: string,
    /** The HTTP status of a refused upgrade (401 the key, 403 the Origin, 404 the URL); undefined for a refused subscribe message. */
    readonly status?: number,
  ) {
    super(serverMessage);
    this.field = fieldOf(serverMessage);
  }
}

/** The log's epoch differs from the saved one: the log was replaced, so saved offsets no longer apply. */
export class LogReplacedError extends PipelineClientError {
  override readonly name = 'LogReplacedError';
  constructor(
    readonly savedEpoch: string,
    readonly currentEpoch: string,
    readonly savedOffset: number,
  ) {
    super(`the log was replaced (epoch ${savedEpoch} → ${currentEpoch}); offset ${savedOffset} no longer applies`);
  }
}

/**
 * The server's reply to a publish broke the protocol (not a JSON object, a field missing or of the wrong type, counts,
 * ids or offsets that do not fit the message), so the publish is not acknowledged. Its events may have been stored:
 * publish them again with `ids`, and a copy stored already is a duplicate.
 */
export class PublishProtocolError extends PipelineClientError {
  override readonly name = 'PublishProtocolError';
  constructor(
    /** What was wrong with the reply, e.g. `count: expected 1 (the events the message held), got 2`. */
    readonly problem: string,
    /** The field of the reply at fault, or null when the reply as a whole was (not JSON, not an object). */
    readonly field: string | null,
    /** Each event's producer id (its own, or the one the SDK gave it), in order. */
    readonly ids: readonly string[],
  ) {
    super(
      `invalid reply from the server: ${problem}; not acknowledged (the events may have been stored: publish them again with the same ids)`,
    );
  }
}
