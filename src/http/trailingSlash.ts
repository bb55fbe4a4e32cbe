/**
 * FastAPI's `redirect_slashes`, which the old service's clients may lean on: a request for a known path with one
 * trailing slash (`/events/`, `/api/v1/stats/`) is sent to the path without it, with a 307 so a POST stays a POST
 * with its body. Only that: `/events//` or an unknown path stays a 404.
 */
export function slashRedirect(patterns: readonly string[]): (path: string, query: string) => string | null {
  const known = patterns.map(
    (pattern) => new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')}$`),
  );
  return (path, query) => {
    if (path.length < 2 || !path.endsWith('/')) return null;
    const target = path.slice(0, -1);
    if (!known.some((pattern) => pattern.test(target))) return null;
    return query === '' ? target : `${target}?${query}`;
  };
}
