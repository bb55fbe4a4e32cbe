import { readFileSync } from 'node:fs';
import { bool, ConfigError, integer, oneOf, text } from './envReaders.js';
import type { JetStreamOptions } from './persistence/jetstream/jetStreamOptions.js';
import { isStreamName } from './persistence/jetstream/streamSubjects.js';

/** LOG_BACKEND: null for the embedded log; the NATS_* settings are read (and checked) either way. */
export function logBackend(env: NodeJS.ProcessEnv, maxPayloadBytes: number): JetStreamOptions | null {
  const options = jetStreamOptions(env);
  const allowNewStream = bool(env, 'NATS_ALLOW_NEW_STREAM');
  if (oneOf(env, 'LOG_BACKEND', ['sqlite', 'jetstream']) !== 'jetstream') return null;
  // Hint: read only in cluster mode, where the file is used; a path set for another machine is no error here.
  if (options.credsFile !== undefined) checkCredsFile(options.credsFile);
  return { ...options, maxPayloadBytes, replicaPath: text(env, 'DATABASE_PATH'), allowNewStream };
}

/** NATS_CREDS must be a readable `.creds` file (a JWT and an nkey seed), else the connection fails with less to go on. */
function checkCredsFile(path: string): void {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new ConfigError(`NATS_CREDS file ${JSON.stringify(path)} cannot be read (${reason})`);
  }
  if (!/-----BEGIN NATS USER JWT-----/.test(content) || !/-----BEGIN USER NKEY SEED-----/.test(content))
    throw new ConfigError(
      `NATS_CREDS file ${JSON.stringify(path)} is not a NATS .creds file (it needs a user JWT and an nkey seed block)`,
    );
}

/**
 * NATS_MAX_AGE_MS as JetStream takes it: 0 (none), or at least 100 ms and at least the duplicate window, which
 * JetStream refuses to keep longer than the messages themselves.
 */
function maxAge(env: NodeJS.ProcessEnv, duplicateWindowMs: number): number {
  const ms = integer(env, 'NATS_MAX_AGE_MS');
  if (ms !== 0 && ms < 100) throw new ConfigError(`NATS_MAX_AGE_MS must be 0 (none) or at least 100 (got ${ms})`);
  if (ms !== 0 && ms < duplicateWindowMs)
    throw new ConfigError(
      `NATS_MAX_AGE_MS (${ms}) must be 0 (none) or at least NATS_DUPLICATE_WINDOW_MS (${duplicateWindowMs}): ` +
        'JetStream keeps message ids no longer than the messages',
    );
  return ms;
}

/**
 * A NATS_URL entry, `[scheme://]host[:port]`, as the NATS client reads it. Hint: the client drops everything up to the
 * last "://" and throws "Invalid URL" only when connecting, so a typo was met as exit 6 "cannot reach".
 */
function serverUrl(entry: string): string {
  let url: URL | null;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `nats://${entry}`);
  } catch {
    url = null;
  }
  if (url === null || url.hostname === '' || url.port === '0' || `${url.pathname}${url.search}${url.hash}`.length > 1)
    throw new ConfigError(
      `NATS_URL entry ${JSON.stringify(entry)} is not a server URL (nats://host:port, comma-separated)`,
    );
  // Hint: the client would drop any scheme and speak NATS to that port; `http://` is a mistake to name, not to try.
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:')
    throw new ConfigError(
      `NATS_URL entry ${JSON.stringify(entry)} has the scheme ${url.protocol.slice(0, -1)}; use nats:// (or tls://)`,
    );
  return entry;
}

/** The NATS_* settings; credentials only when set. */
function jetStreamOptions(env: NodeJS.ProcessEnv): JetStreamOptions {
  const servers = text(env, 'NATS_URL')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(serverUrl);
  if (servers.length === 0) throw new ConfigError('NATS_URL must name at least one server');
  const stream = text(env, 'NATS_STREAM');
  if (!isStreamName(stream))
    throw new ConfigError(
      `NATS_STREAM must be 1 to 64 letters, digits, "_" or "-" (got ${JSON.stringify(stream.slice(0, 80))}${stream.length > 80 ? '…' : ''}, ${stream.length} characters)`,
    );
  const optional = (name: string) => text(env, name) || undefined;
  const user = optional('NATS_USER');
  const password = optional('NATS_PASSWORD');
  const token = optional('NATS_TOKEN');
  const credsFile = optional('NATS_CREDS');
  if ((user === undefined) !== (password === undefined))
    throw new ConfigError(
      `${user === undefined ? 'NATS_PASSWORD' : 'NATS_USER'} is set without ${user === undefined ? 'NATS_USER' : 'NATS_PASSWORD'}; set both or neither`,
    );
  const duplicateWindowMs = integer(env, 'NATS_DUPLICATE_WINDOW_MS');
  return {
    servers,
    stream,
    replicas: integer(env, 'NATS_REPLICAS'),
    duplicateWindowMs,
    publishTimeoutMs: integer(env, 'NATS_PUBLISH_TIMEOUT_MS'),
    maxAgeMs: maxAge(env, duplicateWindowMs),
    maxBytes: integer(env, 'NATS_MAX_BYTES'),
    auditPerSecond: integer(env, 'NATS_AUDIT_PER_SECOND'),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...(token === undefined ? {} : { token }),
    ...(credsFile === undefined ? {} : { credsFile }),
  };
}
