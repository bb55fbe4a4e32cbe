import { describe, expect, it } from 'vitest';
import { runMain } from './support/childServer.js';

// Hint: before, `HOST=fe80::1` was refused as `refusing to start: could not listen on [fe80::1]:0: EINVAL` with exit 4,
// which the README's exit codes say is "the port is already in use" (a probe).
describe('a HOST the system will not listen on as given', () => {
  it('exits 2 naming HOST and the reason, for a link-local IPv6 address without its interface', async () => {
    const run = await runMain({ HOST: 'fe80::1', PORT: '0', DATABASE_PATH: ':memory:', LOG_LEVEL: 'warn' });
    expect(run.code, run.stderr).toBe(2);
    // Hint: a machine without IPv6 says so instead (EAFNOSUPPORT), still naming HOST.
    expect(run.stderr).toMatch(
      /^configuration error: HOST: could not listen on \[fe80::1\]:0: (fe80::1 is a link-local address, which needs its interface \(fe80::1%eth0\)|.*EAFNOSUPPORT.*)\n$/,
    );
  });
});
