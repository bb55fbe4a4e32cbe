import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { ListenError, startServer } from '../src/http/server.js';
import { LogOpenError } from '../src/persistence/eventLog.js';
import { SETTINGS } from '../src/settings.js';
import { startTestServer } from './support/testServer.js';

describe('startup', () => {
  it('refuses a taken port with a ListenError and keeps the running server serving', async () => {
    const t = await startTestServer();
    try {
      const config = loadConfig({
        HOST: '127.0.0.1',
        PORT: String(t.server.port),
        DATABASE_PATH: join(t.dir, 'other.db'),
      });
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
    // An ack must survive power loss unless the operator chooses otherwise (the old service fsynced every commit).
    expect(loadConfig({}).durability).toBe('full');
    expect(loadConfig({ RATE_LIMIT_QUERY: '10/second' }).rateLimitQuery).toEqual([
      { count: 10, windowMs: 1_000, per: 'second' },
    ]);
  });

  it('refuses an API_KEY that no X-API-Key header can carry, without printing the key', () => {
    // Hint: uWS cuts a header value at its first non-ASCII byte and trims its spaces, so with such a key every REST
    // call answered 401 and only `?api_key=` on a WebSocket matched (probe: API_KEY='clé✓' and ' spaced key ').
    for (const key of ['clé✓', ' spaced key ', 'tab\tkey', 'line\nkey']) {
      const env = { REQUIRE_AUTH: 'true', API_KEY: key };
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/API_KEY must be printable ASCII/);
      expect(() => loadConfig(env)).not.toThrow(key);
    }
    expect(loadConfig({ REQUIRE_AUTH: 'true', API_KEY: 'a key/with+symbols~' }).apiKey).toBe('a key/with+symbols~');
  });

  it('accepts API_KEY_PREVIOUS beside API_KEY while keys rotate, checked alike, and no key without REQUIRE_AUTH', () => {
    expect(loadConfig({ REQUIRE_AUTH: 'true', API_KEY: 'new', API_KEY_PREVIOUS: 'old' }).apiKeys).toEqual([
      'new',
      'old',
    ]);
    expect(loadConfig({ REQUIRE_AUTH: 'true', API_KEY: 'new' }).apiKeys).toEqual(['new']);
    expect(loadConfig({ API_KEY: 'new', API_KEY_PREVIOUS: 'old' }).apiKeys).toEqual([]);
    const env = { REQUIRE_AUTH: 'true', API_KEY: 'new', API_KEY_PREVIOUS: 'clé' };
    expect(() => loadConfig(env)).toThrow(/^API_KEY_PREVIOUS must be printable ASCII/);
    expect(() => loadConfig({ REQUIRE_AUTH: 'true', API_KEY_PREVIOUS: 'old' })).toThrow(
      'REQUIRE_AUTH=true needs API_KEY to be set',
    );
  });

  it("takes the old service's spellings: slowapi's rate limits (several, per N units, \"N per minute\") and Python's level names", () => {
    expect(loadConfig({ RATE_LIMIT_PUBLISH: '1000/day' }).rateLimitPublish).toEqual([
      { count: 1000, windowMs: 86_400_000, per: 'day' },
    ]);
    expect(loadConfig({ RATE_LIMIT_QUERY: '100 per minute' }).rateLimitQuery).toEqual([
      { count: 100, windowMs: 60_000, per: 'minute' },
    ]);
    expect(loadConfig({ RATE_LIMIT_ADMIN: '5 per hours' }).rateLimitAdmin).toEqual([
      { count: 5, windowMs: 3_600_000, per: 'hour' },
    ]);
    // The forms a probe found refused (exit 2), each of which the old service took.
    expect(loadConfig({ RATE_LIMIT_PUBLISH: '200/minute;5000/hour' }).rateLimitPublish).toEqual([
      { count: 200, windowMs: 60_000, per: 'minute' },
      { count: 5000, windowMs: 3_600_000, per: 'hour' },
    ]);
    expect(loadConfig({ RATE_LIMIT_QUERY: '600 per 1 minute' }).rateLimitQuery).toEqual([
      { count: 600, windowMs: 60_000, per: 'minute' },
    ]);
    expect(loadConfig({ RATE_LIMIT_ADMIN: '5/2minutes' }).rateLimitAdmin).toEqual([
      { count: 5, windowMs: 120_000, per: '2 minutes' },
    ]);
    expect(loadConfig({ RATE_LIMIT_QUERY: '100per minute' }).rateLimitQuery).toEqual([
      { count: 100, windowMs: 60_000, per: 'minute' },
    ]);
    expect(loadConfig({ LOG_LEVEL: 'WARNING' }).logLevel).toBe('warn');
    expect(loadConfig({ LOG_LEVEL: 'critical' }).logLevel).toBe('fatal');
    expect(() => loadConfig({ RATE_LIMIT_QUERY: '100 per fortnight' })).toThrow(/RATE_LIMIT_QUERY must look like/);
  });

  it('checks every setting it can: ranges, levels, booleans, origins, proxies, rate limits', () => {
    expect(() => loadConfig({ PORT: '65536' })).toThrow(/PORT must be an integer from 0 to 65535/);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65_535);
    expect(() => loadConfig({ PORT: '0x50' })).toThrow(/PORT must be an integer/);
    // A body bound under MAX_BODY_BYTES would refuse such a body as retryable every time.
    expect(() => loadConfig({ MAX_BODY_BUFFER_BYTES_PER_IP: '1048576' })).toThrow(
      'MAX_BODY_BUFFER_BYTES_PER_IP (1048576) must be at least MAX_BODY_BYTES (10485760): one body must fit',
    );
    expect(() => loadConfig({ MAX_BODY_BYTES: '2000000', MAX_BODY_BUFFER_BYTES: '1999999' })).toThrow(
      /^MAX_BODY_BUFFER_BYTES \(1999999\) must be at least MAX_BODY_BYTES \(2000000\)/,
    );
    expect(
      loadConfig({ MAX_BODY_BYTES: '1048576', MAX_BODY_BUFFER_BYTES_PER_IP: '1048576' }).maxBodyBufferBytesPerIp,
    ).toBe(1_048_576);
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL must be one of "trace", .*"silent"/);
    expect(loadConfig({ LOG_LEVEL: 'WARN' }).logLevel).toBe('warn');
    // Every boolean setting's error lists every spelling it takes, not only true and false.
    const booleans = SETTINGS.filter((s) => s.fallback === 'true' || s.fallback === 'false').map((s) => s.name);
    expect(booleans).toEqual(['REQUIRE_AUTH', 'LOG_REQUESTS', 'METRICS_PUBLIC', 'NATS_ALLOW_NEW_STREAM']);
    for (const name of booleans)
      expect(() => loadConfig({ API_KEY: 'k', [name]: 'maybe' })).toThrow(
        `${name} must be true/false, 1/0, yes/no or on/off, in any case (got "maybe")`,
      );
    expect(loadConfig({ REQUIRE_AUTH: 'off' }).requireAuth).toBe(false);
    expect(loadConfig({ REQUIRE_AUTH: 'Yes', API_KEY: 'k' }).requireAuth).toBe(true);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://a.example/' })).toThrow(
      /CORS_ORIGINS entry "https:\/\/a.example\/" is not an origin/,
    );
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:3000' }).corsOrigins).toEqual([
      'https://a.example',
      'http://localhost:3000',
    ]);
    expect(loadConfig({ CORS_ORIGINS: '' }).corsOrigins).toEqual([]);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/8' })).toThrow(
      /TRUST_PROXY entry "10.0.0.0\/8" is not an IP address/,
    );
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1,::1,*' }).trustProxy).toEqual(['10.0.0.1', '::1', '*']);
    expect(loadConfig({ TRUST_PROXY: '' }).trustProxy).toEqual([]);
    expect(() => loadConfig({ RATE_LIMIT_ADMIN: '10/mins' })).toThrow(/RATE_LIMIT_ADMIN must look like/);
    expect(() => loadConfig({ RATE_LIMIT_ADMIN: '99999999999999999999999/second' })).toThrow(
      /RATE_LIMIT_ADMIN must look like/,
    );
    expect(loadConfig({ RATE_LIMIT_ADMIN: 'OFF' }).rateLimitAdmin).toBeNull();
    expect(() => loadConfig({ MAX_JSON_DEPTH: '0' })).toThrow(/MAX_JSON_DEPTH must be an integer from 1 to 1000/);
    expect(() => loadConfig({ MAX_JSON_DEPTH: '1001' })).toThrow(/MAX_JSON_DEPTH must be an integer from 1 to 1000/);
    expect(loadConfig({ MAX_JSON_DEPTH: '1000' }).maxJsonDepth).toBe(1000);
  });

  it('checks the NATS settings JetStream would refuse, naming them, before connecting', () => {
    const cluster = { LOG_BACKEND: 'jetstream' };
    expect(() => loadConfig({ ...cluster, NATS_MAX_AGE_MS: '50' })).toThrow(
      'NATS_MAX_AGE_MS must be 0 (none) or at least 100 (got 50)',
    );
    expect(() => loadConfig({ ...cluster, NATS_MAX_AGE_MS: '60000' })).toThrow(
      'NATS_MAX_AGE_MS (60000) must be 0 (none) or at least NATS_DUPLICATE_WINDOW_MS (600000)',
    );
    expect(
      loadConfig({ ...cluster, NATS_MAX_AGE_MS: '60000', NATS_DUPLICATE_WINDOW_MS: '60000' }).jetstream,
    ).toMatchObject({ maxAgeMs: 60_000, duplicateWindowMs: 60_000 });
    expect(loadConfig({ ...cluster, MAX_PAYLOAD_BYTES: '1000' }).jetstream?.maxPayloadBytes).toBe(1_000);
    const dir = mkdtempSync(join(tmpdir(), 'creds-'));
    try {
      const missing = join(dir, 'missing.creds');
      expect(() => loadConfig({ ...cluster, NATS_CREDS: missing })).toThrow(
        `NATS_CREDS file ${JSON.stringify(missing)} cannot be read (ENOENT)`,
      );
      // Hint: the file is read only in cluster mode.
      expect(loadConfig({ NATS_CREDS: missing }).jetstream).toBeNull();
      const notCreds = join(dir, 'user.txt');
      writeFileSync(notCreds, 'user: alice\n');
      expect(() => loadConfig({ ...cluster, NATS_CREDS: notCreds })).toThrow(/is not a NATS .creds file/);
      const creds = join(dir, 'user.creds');
      writeFileSync(
        creds,
        '-----BEGIN NATS USER JWT-----\nx\n------END NATS USER JWT------\n-----BEGIN USER NKEY SEED-----\nS\n',
      );
      expect(loadConfig({ ...cluster, NATS_CREDS: creds }).jetstream?.credsFile).toBe(creds);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses another scheme than nats:// or tls://, a NATS_STREAM NATS cannot name, and a user without a password', () => {
    const cluster = { LOG_BACKEND: 'jetstream' };
    expect(() => loadConfig({ ...cluster, NATS_URL: 'http://127.0.0.1:4222' })).toThrow(
      'NATS_URL entry "http://127.0.0.1:4222" has the scheme http; use nats:// (or tls://)',
    );
    expect(() => loadConfig({ ...cluster, NATS_STREAM: 'E'.repeat(65) })).toThrow(
      `NATS_STREAM must be 1 to 64 letters, digits, "_" or "-" (got "${'E'.repeat(65)}", 65 characters)`,
    );
    expect(loadConfig({ ...cluster, NATS_STREAM: 'E'.repeat(64) }).jetstream?.stream).toBe('E'.repeat(64));
    expect(() => loadConfig({ ...cluster, NATS_USER: 'alice' })).toThrow(
      'NATS_USER is set without NATS_PASSWORD; set both or neither',
    );
    expect(() => loadConfig({ ...cluster, NATS_PASSWORD: 's3cret' })).toThrow(
      'NATS_PASSWORD is set without NATS_USER; set both or neither',
    );
    expect(loadConfig({ ...cluster, NATS_USER: 'alice', NATS_PASSWORD: 's3cret' }).jetstream).toMatchObject({
      user: 'alice',
      password: 's3cret',
    });
  });

  it('refuses a NATS_URL entry that is no server URL as a configuration error naming it, before connecting', () => {
    const cluster = { LOG_BACKEND: 'jetstream' };
    // Before, these reached the NATS client: exit 6 "cannot reach the NATS cluster at …: Invalid URL", or (";")
    // a start connected to the last server only.
    for (const entry of ['nats://127.0.0.1:99999', 'nats://127.0.0.1:abc', 'nats://', 'nats://a :4222'])
      expect(() => loadConfig({ ...cluster, NATS_URL: `nats://127.0.0.1:4222,${entry}` })).toThrow(
        `NATS_URL entry ${JSON.stringify(entry)} is not a server URL`,
      );
    expect(() => loadConfig({ ...cluster, NATS_URL: 'nats://a:4222;nats://b:4222' })).toThrow(
      'NATS_URL entry "nats://a:4222;nats://b:4222" is not a server URL (nats://host:port, comma-separated)',
    );
    const accepted = 'nats://10.0.0.5:4222, tls://nats.example:4443,127.0.0.1:4222,nats://[::1]:4222,nats://n1';
    expect(loadConfig({ ...cluster, NATS_URL: accepted }).jetstream?.servers).toEqual([
      'nats://10.0.0.5:4222',
      'tls://nats.example:4443',
      '127.0.0.1:4222',
      'nats://[::1]:4222',
      'nats://n1',
    ]);
  });

  it('accepts 0 for MAX_WS_MESSAGE_BYTES and MAX_SUBSCRIBERS, as the old service did', () => {
    const config = loadConfig({ MAX_WS_MESSAGE_BYTES: '0', MAX_SUBSCRIBERS: '0' });
    expect(config.maxWsMessageBytes).toBe(0);
    expect(config.maxSubscribers).toBe(0);
  });

  it('refuses an unusable DATABASE_PATH with a LogOpenError naming the reason, before creating anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rep-startup-'));
    try {
      const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATABASE_PATH: dir });
      await expect(startServer(config)).rejects.toThrow(LogOpenError);
      await expect(startServer(config)).rejects.toThrow(`${dir}: is a directory, not a file`);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
