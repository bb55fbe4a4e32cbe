import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/testServer.js';

describe('server smoke', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });
  it('answers /health with the log epoch', async () => {
    const res = await fetch(`${t.base}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; epoch: string };
    expect(body.status).toBe('ok');
    expect(body.epoch).toMatch(/^[0-9a-z]{16}$/);
  });
});
