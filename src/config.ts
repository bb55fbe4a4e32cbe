import { isIP } from 'node:net';
import type { JetStreamOptions } from './persistence/jetstream/jetStreamOptions.js';
import { isStreamName } from './persistence/jetstream/streamSubjects.js';
import type { Durability } from './persistence/sqliteEventLog.js';
import { fallbackOf } from './settings.js';

/** Server configuration, read from the environment with the old service's names and defaults. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly databasePath: string;
  readonly durability: Durability;
  /** Where commits are written: small inline and large on a writer thread (hybrid), all on it, or all inline (LOG_WRITER). */
  readonly logWriter: 'hybrid' | 'thread' | 'inline';
  readonly corsOrigins: readonly string[];
  readonly requireAuth: boolean;
  readonly apiKey: string;
  readonly maxPayloadKeys: number;
  readonly maxPayloadBytes: number;
  readonly maxBodyBytes: number;
  readonly logLevel: string;
  /** One info line per HTTP request and WebSocket open/close (LOG_REQUESTS). */
  readonly logRequests: boolean;
  /** /metrics answers without the API key even when REQUIRE_AUTH=true (METRICS_PUBLIC). */
  readonly metricsPublic: boolean;
  /** Requests per window per client IP; null disables the limit (the default). */
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
  readonly maxWsConnectionsPerIp: number;
  readonly maxSubscribers: number;
  /** Events waiting for a commit beyond which publishes get a retryable error. */
  readonly maxPendingEvents: number;
  /** Socket buffer above which a subscriber stops getting live pushes and catches up from the log. */
  readonly subscriberBufferBytes: number;
  /** A subscriber lagging this long without draining is closed with 4008. */
  readonly slowConsumerTimeoutMs: number;
  readonly keepaliveMs: number;
  readonly checkpointMs: number;
  readonly sessionIdleMs: number;
  readonly maxActiveSessions: number;
  /** LOG_BACKEND=jetstream: the cluster and stream; null for the embedded SQLite log. */
  readonly jetstream: JetStreamOptions | null;
}

/** A rate limit as configured: at most `count` requests per `windowMs` per client. */
export interface RateLimit {
  readonly count: number;
  readonly windowMs: number;
}

/** Thrown when an environment variable cannot be understood; names the variable and the reason. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The variable's text, or the settings table's default when it is unset or blank. */
function text(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? fallbackOf(name) : value;
}

/** A comma-separated list; unlike other settings, an empty value is kept (it means "none"). */
function list(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? fallbackOf(name))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function integer(env: NodeJS.ProcessEnv, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = text(env, name);
  // Hint: digits only, so "1e3", "0x10" and "12abc" are refused rather than silently read as something else.
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`${name} must be an integer ${range} (got ${JSON.stringify(env[name])})`);
  }
  return number;
}

const WINDOW_MS: Readonly<Record<string, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/**
 * Parses "100/minute", "100" (per minute), "10/second", "6000/hour" or "1000/day", and the old service's slowapi
 * spelling "100 per minute"; unset, "0" or "off" means no limit.
 */
function rateLimit(env: NodeJS.ProcessEnv, name: string): RateLimit | null {
  const value = text(env, name);
  if (value === '0' || value.toLowerCase() === 'off') return null;
  const match = /^(\d+)\s*(?:(?:\/|\s+per\s+)\s*(second|minute|hour|day)s?)?$/i.exec(value);
  if (!match || Number(match[1]) === 0)
    throw new ConfigError(`${name} must look like "100/minute", "50/second" or "off" (got ${JSON.stringify(value)})`);
  return { count: Number(match[1]), windowMs: WINDOW_MS[(match[2] ?? 'minute').toLowerCase()]! };
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

function bool(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = text(env, name).toLowerCase();
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new ConfigError(`${name} must be true or false (got ${JSON.stringify(env[name])})`);
}

function oneOf<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  allowed: readonly T[],
  aliases: Readonly<Record<string, T>> = {},
): T {
  const given = text(env, name).toLowerCase();
  const value = aliases[given] ?? given;
  const found = allowed.find((option) => option === value);
  if (found === undefined) {
    const options = allowed.map((option) => `"${option}"`);
    const expected = options.length === 2 ? options.join(' or ') : `one of ${options.join(', ')}`;
    throw new ConfigError(`${name} must be ${expected} (got ${JSON.stringify(env[name])})`);
  }
  return found;
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

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Python's level names, as the old service's LOG_LEVEL took them. */
const PYTHON_LOG_LEVELS = { warning: 'warn', critical: 'fatal' } as const;

/** Read the configuration from an environment map (process.env in production, a literal in tests). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const requireAuth = bool(env, 'REQUIRE_AUTH');
  const apiKey = env.API_KEY ?? fallbackOf('API_KEY');
  if (requireAuth && apiKey === '') throw new ConfigError('REQUIRE_AUTH=true needs API_KEY to be set');
  return {
    host: text(env, 'HOST'),
    port: integer(env, 'PORT', 0, 65_535),
    databasePath: text(env, 'DATABASE_PATH'),
    durability: oneOf<Durability>(env, 'DURABILITY', ['normal', 'full']),
    logWriter: oneOf(env, 'LOG_WRITER', ['hybrid', 'thread', 'inline'] as const),
    corsOrigins: corsOrigins(env),
    requireAuth,
    apiKey,
    maxPayloadKeys: integer(env, 'MAX_PAYLOAD_KEYS', 1),
    maxPayloadBytes: integer(env, 'MAX_PAYLOAD_BYTES', 2),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 1024),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, PYTHON_LOG_LEVELS),
    logRequests: bool(env, 'LOG_REQUESTS'),
    metricsPublic: bool(env, 'METRICS_PUBLIC'),
    rateLimitPublish: rateLimit(env, 'RATE_LIMIT_PUBLISH'),
    rateLimitQuery: rateLimit(env, 'RATE_LIMIT_QUERY'),
    rateLimitAdmin: rateLimit(env, 'RATE_LIMIT_ADMIN'),
    maxJsonDepth: integer(env, 'MAX_JSON_DEPTH', 1),
    trustProxy: trustProxy(env),
    maxWsMessageBytes: integer(env, 'MAX_WS_MESSAGE_BYTES', 0),
    maxAckBacklogBytes: integer(env, 'MAX_ACK_BACKLOG_BYTES', 1024),
    maxWsConnectionsPerIp: integer(env, 'MAX_WS_CONNECTIONS_PER_IP', 1),
    maxSubscribers: integer(env, 'MAX_SUBSCRIBERS', 0),
    maxPendingEvents: integer(env, 'MAX_PENDING_EVENTS', 1),
    subscriberBufferBytes: integer(env, 'SUBSCRIBER_BUFFER_BYTES', 1024),
    slowConsumerTimeoutMs: integer(env, 'SLOW_CONSUMER_TIMEOUT_MS', 1),
    keepaliveMs: integer(env, 'KEEPALIVE_MS', 1),
    checkpointMs: integer(env, 'CHECKPOINT_MS', 1),
    sessionIdleMs: integer(env, 'SESSION_IDLE_MS', 1),
    maxActiveSessions: integer(env, 'MAX_ACTIVE_SESSIONS', 1),
    jetstream: logBackend(env),
  };
}

/** LOG_BACKEND: null for the embedded log; the NATS_* settings are read (and checked) either way. */
function logBackend(env: NodeJS.ProcessEnv): JetStreamOptions | null {
  const options = jetStreamOptions(env);
  return oneOf(env, 'LOG_BACKEND', ['sqlite', 'jetstream']) === 'jetstream' ? options : null;
}

/** The NATS_* settings; credentials only when set. */
function jetStreamOptions(env: NodeJS.ProcessEnv): JetStreamOptions {
  const servers = text(env, 'NATS_URL')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (servers.length === 0) throw new ConfigError('NATS_URL must name at least one server');
  const stream = text(env, 'NATS_STREAM');
  if (!isStreamName(stream))
    throw new ConfigError(`NATS_STREAM may contain only letters, digits, "_" and "-" (got ${JSON.stringify(stream)})`);
  const optional = (name: string) => text(env, name) || undefined;
  const user = optional('NATS_USER');
  const password = optional('NATS_PASSWORD');
  const token = optional('NATS_TOKEN');
  const credsFile = optional('NATS_CREDS');
  return {
    servers,
    stream,
    replicas: integer(env, 'NATS_REPLICAS', 1, 5),
    duplicateWindowMs: integer(env, 'NATS_DUPLICATE_WINDOW_MS', 1_000),
    publishTimeoutMs: integer(env, 'NATS_PUBLISH_TIMEOUT_MS', 100),
    maxAgeMs: integer(env, 'NATS_MAX_AGE_MS', 0),
    maxBytes: integer(env, 'NATS_MAX_BYTES', 0),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...(token === undefined ? {} : { token }),
    ...(credsFile === undefined ? {} : { credsFile }),
  };
}
