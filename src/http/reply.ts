import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { HttpError, statusLine } from './httpError.js';

/** Headers every response carries. */
const SECURITY_HEADERS: readonly [string, string][] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Referrer-Policy', 'no-referrer'],
];

/** What a handler needs of the request, copied out synchronously (uWS requests die when the handler returns). */
export interface RequestInfo {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly origin: string;
  readonly apiKey: string;
  readonly contentType: string;
  readonly ip: string;
  readonly params: readonly string[];
}

/** Percent-decode a path parameter; a malformed escape stays raw (it then matches nothing and answers 404). */
function decodePathParameter(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    // Hint: this runs before the handler's try, and a throw out of a uWS handler kills the process.
    return raw;
  }
}

/** Copy what we need from a uWS request. */
export function requestInfo(res: HttpResponse, req: HttpRequest, paramCount: number): RequestInfo {
  const params: string[] = [];
  for (let i = 0; i < paramCount; i++) params.push(decodePathParameter(req.getParameter(i) ?? ''));
  return {
    method: req.getMethod().toUpperCase(),
    path: req.getUrl(),
    query: req.getQuery() ?? '',
    origin: req.getHeader('origin'),
    apiKey: req.getHeader('x-api-key'),
    contentType: req.getHeader('content-type'),
    ip: Buffer.from(res.getRemoteAddressAsText()).toString(),
    params,
  };
}

/**
 * A response that may be written later (after a group commit): tracks abort, corks async writes, and adds the
 * security and CORS headers to every reply.
 */
export class Reply {
  aborted = false;
  private done = false;

  constructor(
    readonly res: HttpResponse,
    private readonly corsOrigin: string | null,
  ) {
    res.onAborted(() => {
      this.aborted = true;
    });
  }

  /** Send a JSON body (already serialized when `raw` is true). */
  json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}, raw = false): void {
    const text = raw ? (body as string) : JSON.stringify(body);
    this.write(status, text, { 'Content-Type': 'application/json', ...headers });
  }

  /** Send an HttpError (or any error, as a 500 without internals). */
  error(error: unknown): void {
    if (error instanceof HttpError) this.json(error.status, { detail: error.detail }, error.headers);
    else this.json(500, { detail: 'Internal server error' });
  }

  empty(status: number, headers: Readonly<Record<string, string>> = {}): void {
    this.write(status, '', headers);
  }

  private write(status: number, body: string, headers: Readonly<Record<string, string>>): void {
    if (this.aborted || this.done) return;
    this.done = true;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      for (const [name, value] of SECURITY_HEADERS) this.res.writeHeader(name, value);
      if (this.corsOrigin !== null) {
        this.res.writeHeader('Access-Control-Allow-Origin', this.corsOrigin);
        if (this.corsOrigin !== '*') this.res.writeHeader('Vary', 'Origin');
      }
      for (const [name, value] of Object.entries(headers)) this.res.writeHeader(name, value);
      this.res.end(body);
    });
  }
}

/** Read the whole body, refusing more than `limit` bytes with a 413. */
export function readBody(reply: Reply, limit: number, onBody: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  reply.res.onData((chunk, isLast) => {
    if (tooLarge) return;
    size += chunk.byteLength;
    if (size > limit) {
      tooLarge = true;
      reply.error(new HttpError(413, `request body exceeds ${limit} bytes`));
      return;
    }
    // Hint: uWS reuses the chunk's memory after this callback, so copy it.
    chunks.push(Buffer.from(chunk.slice(0)));
    if (isLast) onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  });
}
