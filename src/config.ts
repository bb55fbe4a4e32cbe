import { isIP } from 'node:net';
import { bool, ConfigError, integer, list, oneOf, text } from './envReaders.js';
import { logBackend } from './natsConfig.js';
import type { JetStreamOptions } from './persistence/jetstream/jetStreamOptions.js';
import type { Durability } from './persistence/sqliteEventLog.js';
import { INTEGRITY_CHECKS, type IntegrityCheck } from './persistence/sqliteEventLogOptions.js';
import { type RateLimit, readRateLimit } from './rateLimitSetting.js';
import { fallbackOf, rangeOf } from './settings.js';

export type { RateLimit, RateWindow } from './rateLimitSetting.js';
export { ConfigError };

/** The largest MAX_JSON_DEPTH (its range in SETTINGS says why). */
export const MAX_JSON_DEPTH_LIMIT = rangeOf('MAX_JSON_DEPTH').max;

/** Server configuration, read from the environment with the old service's names (and defaults, but see the README). */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly databasePath: string;
  readonly durability: Durability;
  /** Where commits are written: small inline and large on a writer thread (hybrid), all on it, or all inline (LOG_WRITER). */
  readonly logWriter: 'hybrid' | 'thread' | 'inline';
  /** Whether the open checks every page of the log and its index first, and (`full`) every record's checksum. */
  readonly integrityCheck: IntegrityCheck;
  readonly corsOrigins: readonly string[];
  readonly requireAuth: boolean;
  readonly apiKey: string;
  /** Every key REQUIRE_AUTH accepts: API_KEY, and API_KEY_PREVIOUS while clients move off it (empty without auth). */
  readonly apiKeys: readonly string[];
  readonly maxPayloadKeys: number;
  readonly maxPayloadBytes: number;
  readonly maxBodyBytes: number;
  /** Request body bytes received and not yet answered, all POSTs together (503 past it). */
  readonly maxBodyBufferBytes: number;
  /** The same bytes from one client address (429 past it). */
  readonly maxBodyBufferBytesPerIp: number;
  readonly logLevel: string;
  /** One info line per HTTP request and WebSocket open/close (LOG_REQUESTS). */
  readonly logRequests: boolean;
  /** /metrics answers without the API key even when REQUIRE_AUTH=true (METRICS_PUBLIC). */
  readonly metricsPublic: boolean;
  /** Requests per window per client IP, every limit of the setting enforced; null disables it (the default). */
  readonly rateLimitPublish: RateLimit | null;
  readonly rateLimitQuery: RateLimit | null;
  readonly rateLimitAdmin: RateLimit | null;
  /** Deepest JSON nesting accepted in a body, event or payload (MAX_JSON_DEPTH). */
  readonly maxJsonDepth: number;
  /** Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (TRUST_PROXY; default loopback, as uvicorn). */
  readonly trustProxy: readonly string[];
  readonly maxWsMessageBytes: number;
  /** Unread publish acks held per producer before it is closed with 4009. */
  readonly maxAckBacklogBytes: number;
  /** Unread publish acks held for all producers together; past it the one holding most is closed with 4009. */
  readonly maxAckBacklogTotalBytes: number;
  readonly maxWsConnectionsPerIp: number;
  /** `GET /events` answers still being sent per client address (see AddressBudget). */
  readonly maxHttpStreamsPerIp: number;
  readonly maxSubscribers: number;
  /** Events waiting for a commit beyond which publishes get a retryable error. */
  readonly maxPendingEvents: number;
  /** Payload characters waiting for a commit beyond which publishes get a retryable error. */
  readonly maxPendingBytes: number;
  /** Socket buffer above which a subscriber stops getting live pushes and catches up from the log. */
  readonly subscriberBufferBytes: number;
  /** Every subscriber's socket buffer together: each is held to an equal share of it when that is smaller. */
  readonly subscriberBufferTotalBytes: number;
  /** A subscriber lagging this long without draining is closed with 4008. */
  readonly slowConsumerTimeoutMs: number;
  readonly keepaliveMs: number;
  readonly checkpointMs: number;
  readonly sessionIdleMs: number;
  readonly maxActiveSessions: number;
  /** LOG_BACKEND=jetstream: the cluster and stream; null for the embedded SQLite log. */
  readonly jetstream: JetStreamOptions | null;
}

/** Browsers send `Origin: scheme://host[:port]`; an entry in another shape would never match, so it is refused. */
function corsOrigins(env: NodeJS.ProcessEnv): string[] {
  const origins = list(env, 'CORS_ORIGINS');
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: string | null = null;
    try {
      parsed = new URL(origin).origin;
    } catch {
      // not a URL at all
    }
    if (parsed !== origin)
      throw new ConfigError(
        `CORS_ORIGINS entry ${JSON.stringify(origin)} is not an origin like "https://app.example.org" (scheme and host, no path or trailing slash)`,
      );
  }
  return origins;
}

function trustProxy(env: NodeJS.ProcessEnv): string[] {
  const proxies = list(env, 'TRUST_PROXY');
  const bad = proxies.find((entry) => entry !== '*' && isIP(entry) === 0);
  if (bad !== undefined)
    throw new ConfigError(
      `TRUST_PROXY entry ${JSON.stringify(bad)} is not an IP address (names and CIDR ranges are not supported)`,
    );
  return proxies;
}

/** Printable ASCII without a leading or trailing space: what an `X-API-Key` header carries unchanged. */
const HEADER_SAFE_KEY = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * The key REQUIRE_AUTH=true checks. Hint: uWS cuts a header value at its first non-ASCII byte and trims its spaces,
 * so any other key failed every REST call with 401 and matched only as `?api_key=`; the error never prints the key.
 */
function checkApiKey(name: 'API_KEY' | 'API_KEY_PREVIOUS', apiKey: string): void {
  if (!HEADER_SAFE_KEY.test(apiKey))
    throw new ConfigError(
      `${name} must be printable ASCII without leading or trailing spaces, as an X-API-Key header carries it (the key set, not printed here, has ${apiKey.length} characters)`,
    );
}

/** The keys REQUIRE_AUTH=true accepts, each checked (none without it). */
function acceptedKeys(env: NodeJS.ProcessEnv, requireAuth: boolean, apiKey: string): string[] {
  const previous = env.API_KEY_PREVIOUS ?? fallbackOf('API_KEY_PREVIOUS');
  if (!requireAuth) return [];
  if (apiKey === '') throw new ConfigError('REQUIRE_AUTH=true needs API_KEY to be set');
  checkApiKey('API_KEY', apiKey);
  if (previous === '') return [apiKey];
  checkApiKey('API_KEY_PREVIOUS', previous);
  return [apiKey, previous];
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Python's level names, as the old service's LOG_LEVEL took them. */
const PYTHON_LOG_LEVELS = { warning: 'warn', critical: 'fatal' } as const;

/**
 * A bound on body bytes being received, which must hold one body of MAX_BODY_BYTES: under it, such a body would be
 * refused as retryable every time, and its client would retry forever.
 */
function holdsOneBody(env: NodeJS.ProcessEnv, name: string, maxBodyBytes: number): number {
  const value = integer(env, name);
  if (value < maxBodyBytes)
    throw new ConfigError(`${name} (${value}) must be at least MAX_BODY_BYTES (${maxBodyBytes}): one body must fit`);
  return value;
}

/** Read the configuration from an environment map (process.env in production, a literal in tests). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const maxPayloadBytes = integer(env, 'MAX_PAYLOAD_BYTES');
  const maxBodyBytes = integer(env, 'MAX_BODY_BYTES');
  const requireAuth = bool(env, 'REQUIRE_AUTH');
  const apiKey = env.API_KEY ?? fallbackOf('API_KEY');
  const apiKeys = acceptedKeys(env, requireAuth, apiKey);
  return {
    host: text(env, 'HOST'),
    port: integer(env, 'PORT'),
    databasePath: text(env, 'DATABASE_PATH'),
    durability: oneOf<Durability>(env, 'DURABILITY', ['normal', 'full']),
    logWriter: oneOf(env, 'LOG_WRITER', ['hybrid', 'thread', 'inline'] as const),
    integrityCheck: oneOf(env, 'INTEGRITY_CHECK', INTEGRITY_CHECKS),
    corsOrigins: corsOrigins(env),
    requireAuth,
    apiKey,
    apiKeys,
    maxPayloadKeys: integer(env, 'MAX_PAYLOAD_KEYS'),
    maxPayloadBytes,
    maxBodyBytes,
    maxBodyBufferBytes: holdsOneBody(env, 'MAX_BODY_BUFFER_BYTES', maxBodyBytes),
    maxBodyBufferBytesPerIp: holdsOneBody(env, 'MAX_BODY_BUFFER_BYTES_PER_IP', maxBodyBytes),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, PYTHON_LOG_LEVELS),
    logRequests: bool(env, 'LOG_REQUESTS'),
    metricsPublic: bool(env, 'METRICS_PUBLIC'),
    rateLimitPublish: readRateLimit(env, 'RATE_LIMIT_PUBLISH'),
    rateLimitQuery: readRateLimit(env, 'RATE_LIMIT_QUERY'),
    rateLimitAdmin: readRateLimit(env, 'RATE_LIMIT_ADMIN'),
    maxJsonDepth: integer(env, 'MAX_JSON_DEPTH'),
    trustProxy: trustProxy(env),
    maxWsMessageBytes: integer(env, 'MAX_WS_MESSAGE_BYTES'),
    maxAckBacklogBytes: integer(env, 'MAX_ACK_BACKLOG_BYTES'),
    maxAckBacklogTotalBytes: integer(env, 'MAX_ACK_BACKLOG_TOTAL_BYTES'),
    maxWsConnectionsPerIp: integer(env, 'MAX_WS_CONNECTIONS_PER_IP'),
    maxHttpStreamsPerIp: integer(env, 'MAX_HTTP_STREAMS_PER_IP'),
    maxSubscribers: integer(env, 'MAX_SUBSCRIBERS'),
    maxPendingEvents: integer(env, 'MAX_PENDING_EVENTS'),
    maxPendingBytes: integer(env, 'MAX_PENDING_BYTES'),
    subscriberBufferBytes: integer(env, 'SUBSCRIBER_BUFFER_BYTES'),
    subscriberBufferTotalBytes: integer(env, 'MAX_SUBSCRIBER_BUFFER_TOTAL_BYTES'),
    slowConsumerTimeoutMs: integer(env, 'SLOW_CONSUMER_TIMEOUT_MS'),
    keepaliveMs: integer(env, 'KEEPALIVE_MS'),
    checkpointMs: integer(env, 'CHECKPOINT_MS'),
    sessionIdleMs: integer(env, 'SESSION_IDLE_MS'),
    maxActiveSessions: integer(env, 'MAX_ACTIVE_SESSIONS'),
    jetstream: logBackend(env, maxPayloadBytes),
  };
}
