import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { startWarnings } from './startWarnings.js';

const warningsFor = (env: Record<string, string>) =>
  startWarnings(loadConfig({ DATABASE_PATH: 'data/x.db', ...env }), env, 8001);

describe('startWarnings', () => {
  it('says nothing for a server that listens on this machine only, or asks for a long key', () => {
    expect(warningsFor({ HOST: '127.0.0.1' })).toEqual([]);
    expect(warningsFor({ HOST: '::1' })).toEqual([]);
    expect(warningsFor({ HOST: '0.0.0.0', REQUIRE_AUTH: 'true', API_KEY: 'k'.repeat(32) })).toEqual([]);
  });

  it('says an open server on every address can be emptied by anyone who reaches it (the default settings)', () => {
    expect(warningsFor({})).toEqual([
      'REQUIRE_AUTH is not true and HOST=0.0.0.0 takes connections from other machines: any client that reaches ' +
        'port 8001 can publish, read and delete events (set API_KEY and REQUIRE_AUTH=true, or HOST=127.0.0.1)',
    ]);
  });

  it('names the key variable that is set without REQUIRE_AUTH, never the key', () => {
    expect(warningsFor({ HOST: '127.0.0.1', API_KEY_PREVIOUS: 'old-secret' })).toEqual([
      'API_KEY_PREVIOUS is set but REQUIRE_AUTH is not true: no endpoint asks for a key',
    ]);
    const both = warningsFor({ HOST: '127.0.0.1', API_KEY: 'new-secret', API_KEY_PREVIOUS: 'old-secret' });
    expect(both).toEqual([
      'API_KEY and API_KEY_PREVIOUS are set but REQUIRE_AUTH is not true: no endpoint asks for a key',
    ]);
  });

  it('names a short key by its length, and a log kept in memory only', () => {
    const short = warningsFor({
      HOST: '127.0.0.1',
      REQUIRE_AUTH: 'true',
      API_KEY: 'a',
      API_KEY_PREVIOUS: 'b'.repeat(40),
    });
    expect(short).toEqual([
      'API_KEY has 1 character: a short key can be guessed; use 32 random ones (openssl rand -hex 16)',
    ]);
    expect(warningsFor({ HOST: '127.0.0.1', DATABASE_PATH: ':memory:' })).toEqual([
      'DATABASE_PATH=:memory: keeps the log in memory only: every event is lost when the server stops',
    ]);
  });
});
