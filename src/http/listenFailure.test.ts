import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { explainListenFailure } from './listenFailure.js';

describe('explainListenFailure', () => {
  let held: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (held === undefined ? resolve() : held.close(() => resolve())));
    held = undefined;
  });

  it('tells a taken port (nothing to configure) from a HOST that is not on this machine', async () => {
    const server = createServer();
    held = server;
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : -1);
      }),
    );
    expect(await explainListenFailure('127.0.0.1', port)).toEqual({
      reason: `could not listen on 127.0.0.1:${port}: the port is already in use`,
      variable: null,
    });
    expect(await explainListenFailure('10.255.255.1', 0)).toEqual({
      reason: 'could not listen on 10.255.255.1:0: 10.255.255.1 is not an address of this machine',
      variable: 'HOST',
    });
    expect((await explainListenFailure('no-such-host.invalid', 0)).variable).toBe('HOST');
  });

  it('brackets an IPv6 host and says when the address looks free after all', async () => {
    expect(await explainListenFailure('127.0.0.1', 0)).toEqual({
      reason: 'could not listen on 127.0.0.1:0: refused, though the address and port look free now',
      variable: null,
    });
    // Hint: only the bracketing is asserted; a machine without IPv6 answers "not an address of this machine".
    expect((await explainListenFailure('::1', 0)).reason.startsWith('could not listen on [::1]:0: ')).toBe(true);
  });
});
