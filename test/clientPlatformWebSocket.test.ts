import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, WsClient } from './support/wsClient.js';

/** The built SDK on Node 20's platform WebSocket (undici), in a child: it needs `npm run build`, as `npm test` does. */
const CHILD = fileURLToPath(new URL('./support/platformClient.mjs', import.meta.url));
const KEY = 'platform-socket-key';

/** One line the child printed. */
type Line = { t: number; what: string } & Record<string, unknown>;

let server: TestServer | null = null;
let child: ChildProcess | null = null;
afterEach(async () => {
  child?.kill('SIGKILL');
  child = null;
  await server?.stop();
  server = null;
});

/** Run the child against the test server; `lines` fills as it prints, `done` resolves when it exits. */
function platformClient(options: Record<string, unknown>) {
  const lines: Line[] = [];
  child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', CHILD, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = rest + chunk.toString();
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) lines.push(JSON.parse(part) as Line);
  });
  const proc = child;
  const done = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { lines, done };
}

describe('the SDK on a platform WebSocket (undici: no status for a refused upgrade, no close after its error)', () => {
  it('fails at once on a refused key, naming it and the server reason, instead of retrying until a timeout', async () => {
    server = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: KEY });
    const { lines, done } = platformClient({ url: server.base, apiKey: 'wrong-key', runMs: 8_000 });
    await done;
    const outcomes = lines.filter((line) => line.what !== 'end');
    expect(outcomes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          what: 'sub error',
          name: 'SubscriptionRejectedError',
          status: 401,
          message: 'the server refused the API key (401: Invalid or missing API key)',
        }),
        expect.objectContaining({
          what: 'pub error',
          name: 'PublishRejectedError',
          code: 401,
          message: 'the server refused the API key (401: Invalid or missing API key)',
        }),
      ]),
    );
    expect(outcomes).toHaveLength(2);
    // Hint: before, the subscriber reconnected for ever and the publish failed only at its delivery timeout (8 s).
    expect(Math.max(...outcomes.map((line) => line.t))).toBeLessThan(3_000);
  });

  it('publishes and follows with a key that has spaces or a tab at its ends, as REST takes it', async () => {
    server = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: KEY });
    const { lines, done } = platformClient({ url: server.base, apiKey: ` ${KEY}\t `, runMs: 8_000 });
    await done;
    expect(lines.map((line) => line.what).sort()).toEqual(['end', 'pub acked', 'sub event']);
  });

  it('waits out a 429 it learns by asking, saying why, and follows once a connection is free', async () => {
    server = await startTestServer({ MAX_WS_CONNECTIONS_PER_IP: '1' });
    const held = await WsClient.open(`${server.wsBase}/ws/subscribe`);
    const { lines, done } = platformClient({ url: server.base, publish: false, runMs: 15_000 });
    try {
      await vi.waitFor(() => expect(lines.some((line) => line.what === 'sub notice')).toBe(true), { timeout: 5_000 });
      expect(lines[0]).toMatchObject({
        what: 'sub notice',
        kind: 'reconnecting',
        message: expect.stringMatching(
          /^closed 1006 \(the server refused the WebSocket upgrade \(429: too many WebSocket connections from this address \(MAX_WS_CONNECTIONS_PER_IP: 1\)\)\); reconnecting in \d+ ms from offset 1$/,
        ),
      });
      expect(Number(/in (\d+) ms/.exec(String(lines[0]!.message))?.[1])).toBeGreaterThanOrEqual(500);
    } finally {
      await closeAll([held]);
    }
    await vi.waitFor(() => expect(lines.map((line) => line.kind)).toContain('resumed'), { timeout: 10_000 });
    expect(lines.some((line) => line.what === 'sub error')).toBe(false);
    child?.kill('SIGKILL');
    await done;
  });
});
