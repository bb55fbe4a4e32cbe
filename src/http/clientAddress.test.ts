import { describe, expect, it } from 'vitest';
import { clientAddress, normalizeAddress, rateKey } from './clientAddress.js';

const LOOPBACK = ['127.0.0.1', '::1'];

describe('clientAddress', () => {
  it('ignores forwarding headers from an untrusted peer', () => {
    expect(clientAddress('10.0.0.9', '1.2.3.4', 'https', LOOPBACK)).toEqual({ ip: '10.0.0.9', https: false });
  });

  it('takes the client and scheme from a trusted proxy', () => {
    expect(clientAddress('127.0.0.1', '203.0.113.7', 'https', LOOPBACK)).toEqual({ ip: '203.0.113.7', https: true });
    expect(clientAddress('::ffff:127.0.0.1', '203.0.113.7', 'http', LOOPBACK)).toEqual({
      ip: '203.0.113.7',
      https: false,
    });
  });

  it('takes the scheme the trusted proxy added, not one the client put before it', () => {
    expect(clientAddress('127.0.0.1', '203.0.113.7', 'https, http', LOOPBACK).https).toBe(false);
    expect(clientAddress('127.0.0.1', '203.0.113.7', 'http, https', LOOPBACK).https).toBe(true);
  });

  it('skips trusted hops and never believes entries left of the first untrusted one', () => {
    expect(clientAddress('127.0.0.1', '6.6.6.6, 203.0.113.7, 127.0.0.1', '', LOOPBACK).ip).toBe('203.0.113.7');
  });

  it('keeps the peer when a trusted proxy sends no X-Forwarded-For', () => {
    expect(clientAddress('127.0.0.1', '', '', LOOPBACK)).toEqual({ ip: '127.0.0.1', https: false });
  });

  it('trusts an IPv6 proxy however its address is spelled (uWS prints peers as eight zero-padded groups)', () => {
    // Hint: a server on HOST=:: saw the curl at [::1] as 0000:…:0001 and ignored its X-Forwarded-For under the
    // default TRUST_PROXY (127.0.0.1,::1): every client behind the proxy shared the proxy's budget.
    const uwsLoopback = '0000:0000:0000:0000:0000:0000:0000:0001';
    expect(normalizeAddress(uwsLoopback)).toBe('::1');
    expect(clientAddress(uwsLoopback, '203.0.113.7', 'https', LOOPBACK)).toEqual({ ip: '203.0.113.7', https: true });
    expect(clientAddress('fd00:0000:0000:0000:0000:0000:0000:0005', '2001:DB8:0:0::1', '', ['FD00::5']).ip).toBe(
      '2001:db8::1',
    );
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1%eth0');
  });

  it('normalizes IPv4-mapped IPv6 peers', () => {
    expect(normalizeAddress('0000:0000:0000:0000:0000:ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeAddress('0000:0000:0000:0000:0000:ffff:7f00:0001')).toBe('127.0.0.1');
    expect(normalizeAddress('::1')).toBe('::1');
  });

  it('ends the walk at a hop that is not an address, so a forged value never becomes a client key or log field', () => {
    expect(clientAddress('127.0.0.1', '1.2.3.4, not-an-ip', '', ['127.0.0.1']).ip).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', `${'x'.repeat(2_000)}, 9.9.9.9`, '', ['127.0.0.1']).ip).toBe('9.9.9.9');
  });
});

describe('rateKey', () => {
  it('counts IPv6 clients by their /64 network, and IPv4 ones by address', () => {
    expect(rateKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(rateKey('::1')).toBe('0:0:0:0::/64');
    expect(rateKey('203.0.113.7')).toBe('203.0.113.7');
  });
});
