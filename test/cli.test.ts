import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/settings.js';
import { killServer, type MainRun, runMain, spawnServer } from './support/childServer.js';
import { waitFor } from './support/pipelineRest.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/** One line on stderr, nothing that looks like a stack frame. */
function expectOneLine(run: MainRun): string {
  const text = run.stderr.trimEnd();
  expect(text.split('\n'), run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/Error:/);
  return text;
}

describe('node dist/src/main.js on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rep-cli-'));
  const base = { HOST: '127.0.0.1', PORT: '0', DATABASE_PATH: join(dir, 'events.db'), LOG_LEVEL: 'info' };
  beforeAll(() => {
    mkdirSync(join(dir, 'a-directory'));
    writeFileSync(join(dir, 'notes.txt'), 'these are notes, not a database\n');
    writeFileSync(join(dir, 'plain-file'), 'x');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help prints usage, the exit codes and every setting with its default, and exits 0', async () => {
    const run = await runMain({}, ['--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Usage: node dist/src/main.js');
    expect(run.stdout).toMatch(/Exit codes: 0 .*; 1 .*; 2 configuration error/s);
    for (const setting of SETTINGS) {
      const row = run.stdout.split('\n').find((line) => line.trimStart().startsWith(`${setting.name} `));
      expect(row, setting.name).toBeDefined();
      if (setting.fallback !== '') expect(row, setting.name).toContain(setting.fallback);
    }
  });

  it('--version prints the package version and exits 0', async () => {
    const run = await runMain({}, ['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
    expect(run.stderr).toBe('');
  });

  it('an unknown argument is a usage error: exit 2, one line pointing at --help', async () => {
    const run = await runMain(base, ['--port=80']);
    expect(run.code).toBe(2);
    expect(expectOneLine(run)).toBe(
      'unknown argument "--port=80"; the server is configured by environment variables (see --help)',
    );
  });

  const badSettings: readonly [string, string, RegExp][] = [
    ['PORT', '70000', /^configuration error: PORT must be an integer from 0 to 65535 \(got "70000"\)$/],
    ['PORT', '-1', /^configuration error: PORT must be an integer from 0 to 65535/],
    ['PORT', '80.5', /^configuration error: PORT must be an integer/],
    [
      'LOG_LEVEL',
      'verbose',
      /^configuration error: LOG_LEVEL must be one of "trace", "debug", "info", "warn", "error", "fatal", "silent", or "warning" \(warn\), "critical" \(fatal\) \(got "verbose"\)$/,
    ],
    [
      'REQUIRE_AUTH',
      'maybe',
      /^configuration error: REQUIRE_AUTH must be true\/false, 1\/0, yes\/no or on\/off, in any case \(got "maybe"\)$/,
    ],
    ['DURABILITY', 'sometimes', /^configuration error: DURABILITY must be "normal" or "full"/],
    [
      'CORS_ORIGINS',
      'https://ok.example,example.com',
      /^configuration error: CORS_ORIGINS entry "example.com" is not an origin/,
    ],
    [
      'TRUST_PROXY',
      '127.0.0.1,proxy.local',
      /^configuration error: TRUST_PROXY entry "proxy.local" is not an IP address/,
    ],
    ['RATE_LIMIT_QUERY', 'lots', /^configuration error: RATE_LIMIT_QUERY must look like "100\/minute"/],
    ['MAX_JSON_DEPTH', '0', /^configuration error: MAX_JSON_DEPTH must be an integer from 1 to 1000 \(got "0"\)$/],
    ['MAX_SUBSCRIBERS', 'many', /^configuration error: MAX_SUBSCRIBERS must be an integer ≥ 0/],
  ];
  for (const [name, value, message] of badSettings) {
    it(`${name}=${value} exits 2 with one line naming ${name}`, async () => {
      const run = await runMain({ ...base, [name]: value });
      expect(run.code).toBe(2);
      expect(expectOneLine(run)).toMatch(message);
    });
  }

  const badPaths: readonly [string, string, string][] = [
    ['a directory', join(dir, 'a-directory'), 'is a directory, not a file'],
    ['a file that is not SQLite', join(dir, 'notes.txt'), 'is not an SQLite database'],
    [
      'a path under a regular file',
      join(dir, 'plain-file', 'sub', 'events.db'),
      `cannot be created: ${join(dir, 'plain-file')} is not a directory`,
    ],
    ['a place that refuses new files', '/proc/rep-events.db', 'cannot be created in /proc'],
  ];
  for (const [what, path, reason] of badPaths) {
    it(`DATABASE_PATH at ${what} exits 2 with one line naming DATABASE_PATH and the reason`, async () => {
      const run = await runMain({ ...base, DATABASE_PATH: path });
      expect(run.code).toBe(2);
      const line = expectOneLine(run);
      expect(line.startsWith(`configuration error: DATABASE_PATH: ${path}: `), line).toBe(true);
      expect(line).toContain(reason);
    });
  }

  it('a cluster replica started without LOG_BACKEND=jetstream exits 2 naming the marker and the way out', async () => {
    const replica = join(dir, 'replica', 'events.db');
    mkdirSync(join(dir, 'replica'), { recursive: true });
    writeFileSync(`${replica}.jetstream.json`, JSON.stringify({ epoch: 'e1', layout: 'seq', stream: 'EVENTS' }));
    const run = await runMain({ ...base, DATABASE_PATH: replica });
    expect(run.code).toBe(2);
    const line = expectOneLine(run);
    expect(
      line.startsWith(
        `configuration error: DATABASE_PATH: ${replica}: it is a cluster node's replica of stream EVENTS`,
      ),
      line,
    ).toBe(true);
    expect(line).toContain('LOG_BACKEND=jetstream');
  });

  it('a HOST that is not an address of this machine exits 2 naming HOST, not "port in use"', async () => {
    const run = await runMain({ ...base, HOST: '10.255.255.1' });
    expect(run.code).toBe(2);
    const line = expectOneLine(run);
    expect(line).toMatch(
      /^configuration error: HOST: could not listen on 10\.255\.255\.1:0: 10\.255\.255\.1 is not an address of this machine$/,
    );
    expect(line).not.toContain('in use');
  });

  it('a HOST that does not resolve exits 2 naming HOST', async () => {
    const run = await runMain({ ...base, HOST: 'no-such-host.invalid' });
    expect(run.code).toBe(2);
    expect(expectOneLine(run)).toMatch(
      /^configuration error: HOST: could not listen on no-such-host\.invalid:0: no-such-host\.invalid does not resolve to an address/,
    );
  });

  it('refuses the pure-JS uWebSockets.js fallback with exit 3 and one line saying what to change', async () => {
    const run = await runMain({ ...base, UWS_USE_FALLBACK: 'true' });
    expect(run.code).toBe(3);
    expect(expectOneLine(run)).toBe(
      'refusing to start: UWS_USE_FALLBACK=true makes uWebSockets.js use its slow pure-JS fallback, which this server refuses; unset it',
    );
  });

  it('accepts LOG_LEVEL in any case and 0 for MAX_SUBSCRIBERS and MAX_WS_MESSAGE_BYTES', async () => {
    const server = await spawnServer(join(dir, 'accepts.db'), {
      LOG_LEVEL: 'WARN',
      MAX_SUBSCRIBERS: '0',
      MAX_WS_MESSAGE_BYTES: '0',
    });
    try {
      expect((await fetch(`${server.base}/health`)).status).toBe(200);
    } finally {
      await killServer(server);
    }
  });

  it('warns at start when API_KEY is set without REQUIRE_AUTH=true, which leaves every endpoint open', async () => {
    const server = await spawnServer(join(dir, 'open.db'), { API_KEY: 'secret', LOG_LEVEL: 'warn' });
    try {
      expect((await fetch(`${server.base}/stats`)).status).toBe(200);
      // Hint: the log is written asynchronously, so the line may follow the first answer.
      await waitFor(() => server.output().includes('REQUIRE_AUTH is not true'), 'the warning line');
      expect(server.output()).toContain('API_KEY is set but REQUIRE_AUTH is not true: no endpoint asks for a key');
      expect(server.output()).not.toContain('secret');
    } finally {
      await killServer(server);
    }
  });
});
