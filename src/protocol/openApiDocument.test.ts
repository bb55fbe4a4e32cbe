import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { API_PREFIX, type DocumentedRoute, openApiDocument, openApiPath } from './openApiDocument.js';
import { ROUTE_DOCS } from './openApiRoutes.js';

const KNOWN: DocumentedRoute[] = Object.keys(ROUTE_DOCS).map((key) => {
  const [method, pattern] = key.split(' ') as ['GET' | 'POST' | 'DELETE', string];
  return { method, pattern, auth: true, rate: 'query' };
});

type Paths = Record<string, Record<string, { deprecated?: boolean; responses: Record<string, unknown> }>>;

describe('openApiDocument', () => {
  it('has exactly two operations per route (canonical and deprecated alias), and 401/429 exactly where auth and rate say', () => {
    fc.assert(
      fc.property(
        fc.subarray(KNOWN, { minLength: 1 }),
        fc.boolean(),
        fc.constantFrom('none', 'query', 'publish'),
        (routes, auth, rate) => {
          const chosen = routes.map((route) => ({ ...route, auth, rate }));
          const paths = openApiDocument(chosen, '0').paths as Paths;
          let operations = 0;
          for (const [path, item] of Object.entries(paths)) {
            for (const op of Object.values(item)) {
              operations++;
              expect(op.deprecated === true).toBe(!path.startsWith(`${API_PREFIX}/`));
              expect('401' in op.responses).toBe(auth);
              expect('429' in op.responses).toBe(rate !== 'none');
              expect('405' in op.responses).toBe(true);
            }
          }
          expect(operations).toBe(chosen.length * 2);
        },
      ),
      { numRuns: 50 },
    );
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
