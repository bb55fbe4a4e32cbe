import { createServer, type Server } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { explainListenFailure, listenFailureOf } from './listenFailure.js';

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

describe('listenFailureOf', () => {
  // Hint: before, every code but these few became `could not listen on …: <code>` with variable null, which main.js
  // reports as exit 4, "the port is already in use" (a probe: HOST=fe80::1, EINVAL).
  it('names HOST, with the reason, for a link-local IPv6 HOST without its interface (Linux: EINVAL)', async () => {
    expect(listenFailureOf('fe80::1', 8001, 'EINVAL')).toEqual({
      reason:
        'could not listen on [fe80::1]:8001: fe80::1 is a link-local address, which needs its interface (fe80::1%eth0)',
      variable: 'HOST',
    });
    expect(listenFailureOf('fe80::1%nosuch', 8001, 'EINVAL')).toEqual({
      reason:
        'could not listen on [fe80::1%nosuch]:8001: fe80::1%nosuch names a link-local address on nosuch, which is no interface of this machine (EINVAL)',
      variable: 'HOST',
    });
    expect(listenFailureOf('::1', 0, 'EAFNOSUPPORT').variable).toBe('HOST');
    // The same through a real probe; a machine without IPv6 answers EAFNOSUPPORT, also HOST's.
    const probed = await explainListenFailure('fe80::1', 0);
    expect(probed.variable).toBe('HOST');
    expect(probed.reason).toMatch(/^could not listen on \[fe80::1\]:0: .*(link-local|EAFNOSUPPORT)/);
  });

  it('says "the port is already in use" for EADDRINUSE alone, and names any other code it does not know', () => {
    const known = [
      'EADDRINUSE',
      'EADDRNOTAVAIL',
      'EINVAL',
      'EAFNOSUPPORT',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EACCES',
      'EPERM',
    ];
    const code = fc.oneof(fc.constantFrom(...known, 'EMFILE', 'ENOBUFS'), fc.stringMatching(/^E[A-Z_]{2,12}$/));
    fc.assert(
      fc.property(code, fc.constantFrom('127.0.0.1', 'fe80::1', 'example.test'), (given, host) => {
        const { reason, variable } = listenFailureOf(host, 8001, given);
        expect(reason.includes('already in use')).toBe(given === 'EADDRINUSE');
        if (!known.includes(given)) {
          expect(reason).toContain(`(${given})`);
          expect(variable).toBeNull();
        }
      }),
    );
    expect(listenFailureOf('127.0.0.1', 8001, 'EMFILE').reason).toBe(
      'could not listen on 127.0.0.1:8001: the system refused it (EMFILE), for no setting this server knows of',
    );
  });
});
