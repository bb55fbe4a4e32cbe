import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { heapWarning, startWarnings } from './startWarnings.js';

/** Hint (review): a heap limit of the test's own, so the lines do not depend on the machine's memory. */
const warningsFor = (env: Record<string, string>) =>
  startWarnings(loadConfig({ DATABASE_PATH: 'data/x.db', ...env }), env, 8001, 8 * 1_073_741_824);

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

  it('names a heap limit below what the memory bounds let the heap hold, and the settings to lower', () => {
    const config = loadConfig({ DATABASE_PATH: 'data/x.db' });
    // node --max-old-space-size=96 gives a heap limit of 144 MiB; the defaults let the heap hold about 776 MiB.
    expect(heapWarning(config, 144 * 1_048_576)).toBe(
      'the JavaScript heap limit (144 MiB; node --max-old-space-size) is below what the memory bounds let the heap ' +
        'hold, about 776 MiB: MAX_ACK_BACKLOG_TOTAL_BYTES (512 MiB) and MAX_PENDING_BYTES (128 MiB), 10000 session ' +
        'actors (MAX_ACTIVE_SESSIONS, about 72 MiB) and 64 MiB besides; a producer that stops reading its acks, or ' +
        'many sessions at once, can end the server with an out-of-memory abort before any bound refuses them: lower ' +
        'those settings or raise the heap limit',
    );
    expect(heapWarning(config, 4_144 * 1_048_576)).toBeNull();
    const lowered = loadConfig({
      DATABASE_PATH: 'data/x.db',
      MAX_ACK_BACKLOG_TOTAL_BYTES: String(16 * 1_048_576),
      MAX_PENDING_BYTES: String(16 * 1_048_576),
      MAX_ACTIVE_SESSIONS: '1000',
    });
    expect(heapWarning(lowered, 144 * 1_048_576)).toBeNull();
    expect(startWarnings(config, {}, 8001, 144 * 1_048_576)).toContain(heapWarning(config, 144 * 1_048_576));
  });
});
