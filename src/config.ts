import type { Durability } from './persistence/sqliteEventLog.js';

/** Server configuration, read from the environment with the old service's names and defaults. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly databasePath: string;
  readonly durability: Durability;
  readonly corsOrigins: readonly string[];
  readonly requireAuth: boolean;
  readonly apiKey: string;
  readonly maxPayloadKeys: number;
  readonly maxPayloadBytes: number;
  readonly maxBodyBytes: number;
  readonly logLevel: string;
  /** Requests per window per client IP; null disables the limit (the default). */
  readonly rateLimitPublish: RateLimit | null;
  readonly rateLimitQuery: RateLimit | null;
  readonly rateLimitAdmin: RateLimit | null;
  /** Deepest JSON nesting accepted in a body, event or payload (MAX_JSON_DEPTH). */
  readonly maxJsonDepth: number;
  /** Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (TRUST_PROXY; default loopback, as uvicorn). */
  readonly trustProxy: readonly string[];
  readonly maxWsMessageBytes: number;
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

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`${name} must be an integer ≥ ${min} (got ${JSON.stringify(text)})`);
  return value;
}

/** Parses "100/minute", "100" (per minute), "10/second" or "6000/hour"; unset, "0" or "off" means no limit. */
function rateLimit(env: NodeJS.ProcessEnv, name: string): RateLimit | null {
  const text = env[name]?.trim();
  if (text === undefined || text === '' || text === '0' || text.toLowerCase() === 'off') return null;
  const match = /^(\d+)\s*(?:\/\s*(second|minute|hour))?$/i.exec(text);
  if (!match) throw new ConfigError(`${name} must look like "100/minute" (got ${JSON.stringify(text)})`);
  const unit = (match[2] ?? 'minute').toLowerCase();
  return { count: Number(match[1]), windowMs: unit === 'second' ? 1_000 : unit === 'hour' ? 3_600_000 : 60_000 };
}

function bool(env: NodeJS.ProcessEnv, name: string): boolean {
  return ['1', 'true', 'yes', 'on'].includes((env[name] ?? '').trim().toLowerCase());
}

/** Read the configuration from an environment map (process.env in production, a literal in tests). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const durability = (env.DURABILITY ?? 'normal').toLowerCase();
  if (durability !== 'normal' && durability !== 'full') throw new ConfigError(`DURABILITY must be "normal" or "full" (got ${JSON.stringify(env.DURABILITY)})`);
  const requireAuth = bool(env, 'REQUIRE_AUTH');
  const apiKey = env.API_KEY ?? '';
  if (requireAuth && apiKey === '') throw new ConfigError('REQUIRE_AUTH=true needs API_KEY to be set');
  return {
    host: env.HOST ?? '0.0.0.0',
    port: integer(env, 'PORT', 8001),
    databasePath: env.DATABASE_PATH ?? 'data/events.db',
    durability,
    corsOrigins: (env.CORS_ORIGINS ?? '*').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    requireAuth,
    apiKey,
    maxPayloadKeys: integer(env, 'MAX_PAYLOAD_KEYS', 50, 1),
    maxPayloadBytes: integer(env, 'MAX_PAYLOAD_BYTES', 65_536, 2),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 10 * 1024 * 1024, 1024),
    logLevel: env.LOG_LEVEL ?? 'info',
    rateLimitPublish: rateLimit(env, 'RATE_LIMIT_PUBLISH'),
    rateLimitQuery: rateLimit(env, 'RATE_LIMIT_QUERY'),
    rateLimitAdmin: rateLimit(env, 'RATE_LIMIT_ADMIN'),
    maxJsonDepth: integer(env, 'MAX_JSON_DEPTH', 32, 1),
    trustProxy: (env.TRUST_PROXY ?? '127.0.0.1,::1').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    maxWsMessageBytes: integer(env, 'MAX_WS_MESSAGE_BYTES', 1024 * 1024, 0),
    maxWsConnectionsPerIp: integer(env, 'MAX_WS_CONNECTIONS_PER_IP', 20, 1),
    maxSubscribers: integer(env, 'MAX_SUBSCRIBERS', 5000, 0),
    maxPendingEvents: integer(env, 'MAX_PENDING_EVENTS', 100_000, 1),
    subscriberBufferBytes: integer(env, 'SUBSCRIBER_BUFFER_BYTES', 1024 * 1024, 1024),
    slowConsumerTimeoutMs: integer(env, 'SLOW_CONSUMER_TIMEOUT_MS', 30_000, 1),
    keepaliveMs: integer(env, 'KEEPALIVE_MS', 30_000, 1),
    checkpointMs: integer(env, 'CHECKPOINT_MS', 5_000, 1),
    sessionIdleMs: integer(env, 'SESSION_IDLE_MS', 60_000, 1),
    maxActiveSessions: integer(env, 'MAX_ACTIVE_SESSIONS', 10_000, 1),
  };
}
