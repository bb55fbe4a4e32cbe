import type { Config } from './config.js';

/** Keys shorter than this are named at start: the query budget slows guessing, it does not stop it. */
const SHORT_KEY = 16;

/** Whether `host` listens only on this machine. */
function loopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * What an operator should know about settings that start but leave the server less safe than it looks: one line
 * each, none naming a key. `env` for the keys as set, which the config holds only with REQUIRE_AUTH=true; `port` the
 * one listened on.
 */
export function startWarnings(config: Config, env: NodeJS.ProcessEnv, port: number): string[] {
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
  return warnings;
}
