import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { API_PREFIX, type DocumentedRoute, openApiDocument, openApiPath } from './openApiDocument.js';
import { ROUTE_DOCS } from './openApiRoutes.js';

const KNOWN: DocumentedRoute[] = Object.keys(ROUTE_DOCS).map((key) => {
  const [method, pattern] = key.split(' ') as ['GET' | 'POST' | 'DELETE', string];
  return { method, pattern, auth: true, rate: 'query' };
});

type Paths = Record<
  string,
  Record<
    string,
    { deprecated?: boolean; 'x-alias-of'?: string; operationId: string; responses: Record<string, unknown> }
  >
>;

describe('openApiDocument', () => {
  it('has two operations per route, neither deprecated, the versioned one naming the unversioned, and 401/429 where auth and rate say', () => {
    fc.assert(
      fc.property(
        fc.subarray(KNOWN, { minLength: 1 }),
        fc.boolean(),
        fc.constantFrom('none', 'query', 'publish'),
        (routes, auth, rate) => {
          const chosen = routes.map((route) => ({ ...route, auth, rate }));
          const paths = openApiDocument(chosen, '0').paths as Paths;
          let operations = 0;
          const ids = new Set<string>();
          for (const [path, item] of Object.entries(paths)) {
            for (const op of Object.values(item)) {
              operations++;
              ids.add(op.operationId);
              // Before: every unversioned path (the old service's own, which both READMEs use) was deprecated.
              expect(op.deprecated).toBeUndefined();
              expect(op['x-alias-of']).toBe(
                path.startsWith(`${API_PREFIX}/`) ? path.slice(API_PREFIX.length) : undefined,
              );
              expect('401' in op.responses).toBe(auth);
              expect('429' in op.responses).toBe(rate !== 'none');
              expect('405' in op.responses).toBe(true);
            }
          }
          expect(operations).toBe(chosen.length * 2);
          expect(ids.size).toBe(operations);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('lists the unversioned paths first and leaves assets (files a page loads) out', () => {
    const asset: DocumentedRoute = { method: 'GET', pattern: '/docs/docs.js', auth: false, rate: 'none', asset: true };
    const paths = Object.keys(openApiDocument([...KNOWN, asset], '0').paths as Paths);
    expect(paths).toHaveLength(new Set(KNOWN.map((route) => route.pattern)).size * 2);
    expect(paths.some((path) => path.includes('docs.js'))).toBe(false);
    expect(paths.slice(0, paths.length / 2).every((path) => !path.startsWith(API_PREFIX))).toBe(true);
  });

  it('declares the Retry-After header on its 429 and 503 answers, which always send it', () => {
    const responses = (openApiDocument(KNOWN, '0').components as { responses: Record<string, { headers?: object }> })
      .responses;
    for (const status of ['E429', 'E503']) expect(responses[status]?.headers).toHaveProperty('Retry-After');
    expect(responses.E404?.headers).toBeUndefined();
  });

  it('writes every uWS parameter in OpenAPI form', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.stringMatching(/^[a-z-]{1,8}$/), fc.stringMatching(/^:[a-z_]{1,8}$/))),
        (parts) => {
          const path = openApiPath(`/${parts.join('/')}`);
          expect(path).not.toMatch(/\/:/);
          expect(path.split('/').filter((p) => p.startsWith('{')).length).toBe(
            parts.filter((p) => p.startsWith(':')).length,
          );
        },
      ),
    );
  });
});
