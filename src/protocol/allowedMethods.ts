/** The methods a path is served with, in the order an `Allow` header lists them. */
const ORDER = ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'] as const;

/**
 * The `Allow` header of a path served with `methods`: those, HEAD wherever GET is, and OPTIONS (CORS preflight).
 * Hint: the router sends it with a 405 and the OpenAPI document states it per path, so the two cannot disagree.
 */
export function allowedMethods(methods: Iterable<string>): string {
  const served = new Set<string>(methods);
  if (served.has('GET')) served.add('HEAD');
  served.add('OPTIONS');
  return ORDER.filter((method) => served.has(method)).join(', ');
}
