/**
 * What a browser page of another origin may do (CORS_ORIGINS). `*` lets any page read and publish, as the FastAPI
 * service did; deleting events (`DELETE /events`) is for pages of the server's own origin or of an origin listed by
 * name. Hint: under `*` any site a user of the server visits could otherwise empty the log through that user's
 * browser (a probe did, with the default settings: `fetch(…, {method: 'DELETE'})` from another port, 200).
 */
export class CorsPolicy {
  private readonly any: boolean;
  private readonly listed: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.any = origins.includes('*');
    this.listed = new Set(origins.filter((origin) => origin !== '*'));
  }

  /** The `Access-Control-Allow-Origin` to answer a request from `origin` with, or null for none. */
  allowOrigin(origin: string): string | null {
    if (this.any) return '*';
    return origin !== '' && this.listed.has(origin) ? origin : null;
  }

  /**
   * Whether a request from `origin` (its `Origin` header; empty: not from a page) to `host` (its `Host` header) may
   * delete events. Browsers send `Origin` with every DELETE, same-origin ones too.
   */
  mayDelete(origin: string, host: string): boolean {
    return origin === '' || this.listed.has(origin) || sameOrigin(origin, host);
  }

  /** The preflight's headers for a page at `origin`: DELETE only where mayDelete allows it. */
  preflightHeaders(origin: string, host: string): Record<string, string> {
    return {
      'Access-Control-Allow-Methods': this.mayDelete(origin, host)
        ? 'GET, HEAD, POST, DELETE, OPTIONS'
        : 'GET, HEAD, POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type, X-API-Key',
      'Access-Control-Max-Age': '600',
    };
  }

  /** Why a DELETE from `origin` is refused (403). */
  static deleteRefusal(origin: string): string {
    return (
      `DELETE from a page of another origin (Origin: ${JSON.stringify(origin)}) is refused: ` +
      'list that origin in CORS_ORIGINS to let its pages delete events'
    );
  }
}

/** Whether `origin` (`scheme://host[:port]`) names the host the request was sent to. */
function sameOrigin(origin: string, host: string): boolean {
  if (host === '') return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

/**
 * The Origin a page's WebSocket would send, for a plain GET asking what its upgrade gets: `origin` when sent, else the
 * server's own (scheme and `host`) when `fetchSite` (Sec-Fetch-Site) says same-origin. Hint: a same-origin fetch sends
 * no Origin where the page's WebSocket sends one, so a page whose own origin CORS_ORIGINS leaves out read 426 and
 * reconnected for ever instead of learning of its 403.
 */
export function pageOrigin(origin: string, host: string, https: boolean, fetchSite: string): string {
  if (origin !== '' || fetchSite !== 'same-origin' || host === '') return origin;
  return `${https ? 'https' : 'http'}://${host}`;
}
