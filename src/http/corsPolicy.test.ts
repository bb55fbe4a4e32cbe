import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorsPolicy, pageOrigin } from './corsPolicy.js';

describe('CorsPolicy', () => {
  it('under *, lets any page read and publish, and delete only from the origin the request was sent to', () => {
    const any = new CorsPolicy(['*']);
    expect(any.allowOrigin('https://evil.example')).toBe('*');
    expect(any.mayDelete('https://evil.example', '127.0.0.1:8001')).toBe(false);
    expect(any.mayDelete('', '127.0.0.1:8001')).toBe(true); // not a page: curl, the SDK, the CLI
    expect(any.mayDelete('http://127.0.0.1:8001', '127.0.0.1:8001')).toBe(true);
    expect(any.mayDelete('http://LOCALHOST:8001', 'localhost:8001')).toBe(true);
    expect(any.mayDelete('https://events.example', 'events.example')).toBe(true); // default port, either scheme
    expect(any.mayDelete('http://127.0.0.1:8002', '127.0.0.1:8001')).toBe(false);
    expect(any.mayDelete('null', '127.0.0.1:8001')).toBe(false); // a sandboxed frame or a file
    expect(any.mayDelete('http://127.0.0.1:8001', '')).toBe(false);
    expect(any.preflightHeaders('https://evil.example', '127.0.0.1:8001')['Access-Control-Allow-Methods']).toBe(
      'GET, HEAD, POST, OPTIONS',
    );
  });

  it('lets a page of a listed origin delete, and answers others with no origin at all', () => {
    const listed = new CorsPolicy(['https://admin.example', 'https://app.example']);
    expect(listed.allowOrigin('https://admin.example')).toBe('https://admin.example');
    expect(listed.allowOrigin('https://evil.example')).toBeNull();
    expect(listed.allowOrigin('')).toBeNull();
    expect(listed.mayDelete('https://admin.example', 'api.example')).toBe(true);
    expect(listed.mayDelete('https://evil.example', 'api.example')).toBe(false);
    expect(listed.preflightHeaders('https://admin.example', 'api.example')['Access-Control-Allow-Methods']).toBe(
      'GET, HEAD, POST, DELETE, OPTIONS',
    );
  });

  it('never lets a page delete whose origin is neither listed nor the host asked, whatever the strings', () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.domain(), fc.boolean(), (page, host, wildcard) => {
        const origin = new URL(page).origin;
        const policy = new CorsPolicy(wildcard ? ['*'] : []);
        const sameHost = new URL(origin).host === new URL(`http://${host}`).host;
        expect(policy.mayDelete(origin, host)).toBe(sameHost);
      }),
    );
  });
});

describe('pageOrigin', () => {
  it("is the Origin sent, else the server's own for a same-origin fetch (which sends none), else none", () => {
    expect(pageOrigin('https://a.example', 'b.example', true, 'same-origin')).toBe('https://a.example');
    expect(pageOrigin('', 'b.example:8443', true, 'same-origin')).toBe('https://b.example:8443');
    expect(pageOrigin('', '127.0.0.1:8001', false, 'same-origin')).toBe('http://127.0.0.1:8001');
    expect(pageOrigin('', 'b.example', false, 'cross-site')).toBe('');
    expect(pageOrigin('', 'b.example', false, '')).toBe('');
    expect(pageOrigin('', '', false, 'same-origin')).toBe('');
  });
});
