import { risingIds } from '../protocol/risingIds.js';
import { DEFAULT_WS_MESSAGE_CAP_BYTES, WS_MESSAGE_CAP_CEILING } from '../protocol/wsPublishLimits.js';
import { type BackoffOptions, checkBackoffOptions } from './backoff.js';
import { checkKinds, checkNumbers, type KindRule, SCHEDULER_METHODS } from './optionChecks.js';
import type { PublisherNotice } from './publisherNotices.js';
import { realScheduler, type Scheduler } from './scheduler.js';
import { type ApiKeyIn, checkSocketTarget, type WebSocketConstructor } from './webSocket.js';

/** How a Publisher connects, batches, bounds and retries. */
export interface PublisherOptions {
  /** Server base URL, e.g. `http://localhost:8001` (http, https, ws and wss all work). */
  readonly url: string;
  /** Undefined means none (so `apiKey: process.env.API_KEY` type-checks with exactOptionalPropertyTypes). */
  readonly apiKey?: string | undefined;
  /** How the key travels on the WebSocket (default `'protocol'`; `'query'` for a server older than that). */
  readonly apiKeyIn?: ApiKeyIn;
  /** WebSocket class; detected when absent (the platform's, or `ws` in Node 20). */
  readonly WebSocket?: WebSocketConstructor;
  /** Most events in one message (default 500). */
  readonly maxBatchEvents?: number;
  /** Most serialized bytes in one message (default 512 KiB, half the server's default MAX_WS_MESSAGE_BYTES). */
  readonly maxBatchBytes?: number;
  /**
   * The largest message the server takes, in bytes (default 3,355,443, 3.2 MiB: a server's cap at its default
   * settings, MAX_BODY_BUFFER_BYTES_PER_IP / MAX_WS_CONNECTIONS_PER_IP). A publish or publishBatch that would make a
   * larger message is refused at once with a RangeError, and merged messages stay within it; past its cap a server
   * closes the connection with no reply (1006). For a server whose MAX_WS_MESSAGE_BYTES is larger, set this to it.
   */
  readonly maxMessageBytes?: number;
  /** How long a partial batch waits for more events, in ms (default 2). */
  readonly lingerMs?: number;
  /** Events queued or unacknowledged at most; `publish` waits for room beyond it (default 10,000). */
  readonly maxInFlightEvents?: number;
  /** Unacknowledged messages on the socket at most (default 16). */
  readonly maxInFlightMessages?: number;
  /** A publish not acknowledged this long after it was asked for fails with PublishTimeoutError (default 120 s). */
  readonly deliveryTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  readonly scheduler?: Scheduler;
  readonly random?: () => number;
  /**
   * Producer id generator (default `risingIds('evt_')`: `evt_` + 22 characters of `[A-Za-z0-9_-]`, a random head per
   * publisher then a counter, so the server stores them far more cheaply than random ids; one longer than the
   * server's own ids, so their resend check never searches the server's generated ids).
   */
  readonly newId?: () => string;
  /** Told when the socket is lost and opens again, and of each retryable refusal (see PublisherNotice). */
  readonly onNotice?: (notice: PublisherNotice) => void;
}

/** Options with every default filled in. */
export type ResolvedPublisherOptions = Required<
  Omit<PublisherOptions, 'apiKey' | 'apiKeyIn' | 'WebSocket' | 'backoff' | 'onNotice'>
> &
  PublisherOptions;

/** Check the options (see checkPublisherOptions) and fill in the defaults. */
export function withDefaults(options: PublisherOptions): ResolvedPublisherOptions {
  checkPublisherOptions(options);
  return {
    maxBatchEvents: 500,
    maxBatchBytes: 512 * 1024,
    maxMessageBytes: DEFAULT_WS_MESSAGE_CAP_BYTES,
    lingerMs: 2,
    maxInFlightEvents: 10_000,
    maxInFlightMessages: 16,
    deliveryTimeoutMs: 120_000,
    scheduler: realScheduler,
    random: Math.random,
    newId: risingIds('evt_'),
    ...options,
  };
}

/** Every option of a Publisher, with what its value must be (see checkKinds). */
const PUBLISHER_KINDS = {
  url: 'string',
  apiKey: 'string',
  apiKeyIn: 'checked',
  WebSocket: 'function',
  maxBatchEvents: 'number',
  maxBatchBytes: 'number',
  maxMessageBytes: 'number',
  lingerMs: 'number',
  maxInFlightEvents: 'number',
  maxInFlightMessages: 'number',
  deliveryTimeoutMs: 'number',
  backoff: 'object',
  scheduler: SCHEDULER_METHODS,
  random: 'function',
  newId: 'function',
  onNotice: 'function',
} as const satisfies Record<keyof PublisherOptions, KindRule>;

/**
 * Throw a TypeError naming an unknown option, an option of the wrong type or a `url` that is not http(s) or ws(s),
 * or a RangeError naming the first numeric option that cannot work (a zero window would wait forever).
 */
function checkPublisherOptions(options: PublisherOptions): void {
  checkKinds(options, PUBLISHER_KINDS, 'Publisher');
  checkSocketTarget(options);
  checkNumbers(options, {
    maxBatchEvents: 'count',
    maxBatchBytes: 'count',
    maxMessageBytes: 'count',
    lingerMs: 'timer',
    maxInFlightEvents: 'count',
    maxInFlightMessages: 'count',
    deliveryTimeoutMs: 'timeout',
  });
  checkBackoffOptions(options.backoff);
  const { maxMessageBytes } = options;
  // Hint: no server takes more (uWS's limit is a signed 32-bit integer); a larger value would check nothing.
  if (maxMessageBytes !== undefined && maxMessageBytes > WS_MESSAGE_CAP_CEILING)
    throw new RangeError(
      `maxMessageBytes: must be at most ${WS_MESSAGE_CAP_CEILING} (the most a server takes in one message), got ${maxMessageBytes}`,
    );
}
