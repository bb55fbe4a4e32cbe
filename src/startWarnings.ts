import { getHeapStatistics } from 'node:v8';
import type { Config } from './config.js';

/** Keys shorter than this are named at start: the query budget slows guessing, it does not stop it. */
const SHORT_KEY = 16;

/** Whether `host` listens only on this machine. */
function loopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const MIB = 1_048_576;
/** Heap per MAX_ACTIVE_SESSIONS: an actor (~3.5 KB) and the 50 passivated statuses remembered for it (~82 bytes each). */
const SESSION_HEAP_BYTES = 3_500 + 50 * 82;
/** Heap the server holds besides its bounds (an idle server ~30 MB, with room for a busy one's garbage). */
const BASE_HEAP_BYTES = 64 * MIB;

/**
 * A line when the heap limit (node --max-old-space-size) is below what the bounds let the heap hold: unread acks and
 * events waiting for a commit are JavaScript strings and objects, and so are session actors. Hint (probe): with
 * --max-old-space-size=96, one producer that stopped reading its acks, or 700,000 new sessions, ended the server with
 * V8's out-of-memory abort (no log line, acks in flight lost) long before any bound was reached.
 */
export function heapWarning(config: Config, heapLimit: number): string | null {
  const bounds = config.maxAckBacklogTotalBytes + config.maxPendingBytes;
  const sessions = config.maxActiveSessions * SESSION_HEAP_BYTES;
  if (bounds + sessions + BASE_HEAP_BYTES <= heapLimit) return null;
  const mib = (bytes: number) => Math.round(bytes / MIB);
  return (
    `the JavaScript heap limit (${mib(heapLimit)} MiB; node --max-old-space-size) is below what the memory bounds let ` +
    `the heap hold, about ${mib(bounds + sessions + BASE_HEAP_BYTES)} MiB: MAX_ACK_BACKLOG_TOTAL_BYTES ` +
    `(${mib(config.maxAckBacklogTotalBytes)} MiB) and MAX_PENDING_BYTES (${mib(config.maxPendingBytes)} MiB), ` +
    `${config.maxActiveSessions} session actors (MAX_ACTIVE_SESSIONS, about ${mib(sessions)} MiB) and ` +
    `${mib(BASE_HEAP_BYTES)} MiB besides; a producer that stops reading its acks, or many sessions at once, can end ` +
    'the server with an out-of-memory abort before any bound refuses them: lower those settings or raise the heap limit'
  );
}

/**
 * What an operator should know about settings that start but leave the server less safe than it looks: one line
 * each, none naming a key. `env` for the keys as set, which the config holds only with REQUIRE_AUTH=true; `port` the
 * one listened on; `heapLimit` V8's (see heapWarning).
 */
export function startWarnings(
  config: Config,
  env: NodeJS.ProcessEnv,
  port: number,
  heapLimit = getHeapStatistics().heap_size_limit,
): string[] {
  const warnings: string[] = [];
  const setKeys = (['API_KEY', 'API_KEY_PREVIOUS'] as const).filter((name) => (env[name] ?? '') !== '');
  // Hint: a key without REQUIRE_AUTH=true guards nothing, which an operator setting one would not expect.
  if (!config.requireAuth && setKeys.length > 0)
    warnings.push(
      `${setKeys.join(' and ')} ${setKeys.length > 1 ? 'are' : 'is'} set but REQUIRE_AUTH is not true: no endpoint asks for a key`,
    );
  if (!config.requireAuth && !loopback(config.host))
    warnings.push(
      `REQUIRE_AUTH is not true and HOST=${config.host} takes connections from other machines: any client that ` +
        `reaches port ${port} can publish, read and delete events (set API_KEY and REQUIRE_AUTH=true, or ` +
        'HOST=127.0.0.1)',
    );
  for (const [name, key] of [
    ['API_KEY', config.apiKeys[0]],
    ['API_KEY_PREVIOUS', config.apiKeys[1]],
  ] as const)
    if (key !== undefined && key.length < SHORT_KEY)
      warnings.push(
        `${name} has ${key.length} character${key.length === 1 ? '' : 's'}: a short key can be guessed; use 32 random ones (openssl rand -hex 16)`,
      );
  if (config.databasePath === ':memory:')
    warnings.push('DATABASE_PATH=:memory: keeps the log in memory only: every event is lost when the server stops');
  const heap = heapWarning(config, heapLimit);
  if (heap !== null) warnings.push(heap);
  return warnings;
}
