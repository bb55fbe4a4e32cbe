import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { ListenError, startServer } from '../src/http/server.js';
import { startTestServer } from './support/testServer.js';

describe('startup', () => {
  it('refuses a taken port with a ListenError and keeps the running server serving', async () => {
    const t = await startTestServer();
    try {
      const config = loadConfig({ HOST: '127.0.0.1', PORT: String(t.server.port), DATABASE_PATH: join(t.dir, 'other.db') });
      await expect(startServer(config)).rejects.toThrow(ListenError);
      await expect(startServer(config)).rejects.toThrow(`could not listen on 127.0.0.1:${t.server.port}`);
      const health = await fetch(`${t.base}/health`);
      expect(health.status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it('names the variable and the reason for bad configuration', () => {
    expect(() => loadConfig({ DURABILITY: 'sometimes' })).toThrow(ConfigError);
    expect(() => loadConfig({ DURABILITY: 'sometimes' })).toThrow(/DURABILITY must be "normal" or "full"/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT must be an integer/);
    expect(() => loadConfig({ REQUIRE_AUTH: 'true' })).toThrow(/REQUIRE_AUTH=true needs API_KEY/);
    expect(() => loadConfig({ RATE_LIMIT_PUBLISH: 'lots' })).toThrow(/RATE_LIMIT_PUBLISH must look like "100\/minute"/);
    expect(loadConfig({}).port).toBe(8001);
    expect(loadConfig({}).databasePath).toBe('data/events.db');
    expect(loadConfig({ RATE_LIMIT_QUERY: '10/second' }).rateLimitQuery).toEqual({ count: 10, windowMs: 1_000 });
  });
});
