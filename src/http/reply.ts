import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import { HttpError, statusLine } from './httpError.js';
import { requestIdFor } from './requestLog.js';

/** Headers every response carries (the old service's set). */
const SECURITY_HEADERS: readonly [string, string][] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['X-XSS-Protection', '1; mode=block'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Referrer-Policy', 'strict-origin-when-cross-origin'],
];

/** Sent only on requests that arrived over https (via a trusted TLS proxy). */
const HSTS = 'max-age=31536000; includeSubDomains';

/** What a handler needs of the request, copied out synchronously (uWS requests die when the handler returns). */
export interface RequestInfo {
  /** Upper case, e.g. `GET`. */
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly origin: string;
  readonly apiKey: string;
  readonly contentType: string;
  readonly forwardedFor: string;
  readonly forwardedProto: string;
  readonly params: readonly string[];
  /** The caller's X-Request-Id when sane, else a fresh one; echoed on the reply and in log lines. */
  readonly requestId: string;
}

/** Percent-decode a path parameter; a malformed escape stays raw (it then matches nothing and answers 404). */
function decodePathParameter(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Copy what we need from a uWS request. */
export function requestInfo(req: HttpRequest, paramCount: number): RequestInfo {
  const params: string[] = [];
  for (let i = 0; i < paramCount; i++) params.push(decodePathParameter(req.getParameter(i) ?? ''));
  return {
    method: req.getMethod().toUpperCase(),
    path: req.getUrl(),
    query: req.getQuery() ?? '',
    origin: req.getHeader('origin'),
    apiKey: req.getHeader('x-api-key'),
    contentType: req.getHeader('content-type'),
    forwardedFor: req.getHeader('x-forwarded-for'),
    forwardedProto: req.getHeader('x-forwarded-proto'),
    params,
    requestId: requestIdFor(req.getHeader('x-request-id')),
  };
}

/** How a Reply answers: CORS origin to allow, HEAD (headers only), https (adds HSTS), and where to log failures. */
export interface ReplyOptions {
  readonly corsOrigin: string | null;
  readonly head: boolean;
  readonly https: boolean;
  readonly path: string;
  readonly logger: Logger;
  /** Sent as X-Request-Id. */
  readonly requestId?: string;
  /** Called once with the status written (0 when the client went away first), for the request log. */
  readonly onFinish?: (status: number) => void;
}

/**
 * A response that may be written later (after a group commit): tracks abort, corks async writes, adds the
 * security and CORS headers to every reply, and is the error boundary for everything that answers it.
 */
export class Reply {
  aborted = false;
  private done = false;

  constructor(
    readonly res: HttpResponse,
    private readonly options: ReplyOptions,
  ) {
    // Hint: uWS also requires this to let a handler return before it has answered.
    res.onAborted(() => {
      this.aborted = true;
      if (!this.done) this.options.onFinish?.(0);
    });
  }

  /** True once answered or aborted: nothing more will be sent. */
  get finished(): boolean {
    return this.done || this.aborted;
  }

  /**
   * Run a uWS callback (handler, body chunk, commit callback) so that no throw escapes into uWS: an HttpError
   * becomes its reply, anything else a logged 500.
   */
  run(body: () => void): void {
    try {
      body();
    } catch (error) {
      this.fail(error);
    }
  }

  /** `error`, guaranteed not to throw (a logger that throws must not take the process down either). */
  fail(error: unknown): void {
    try {
      this.error(error);
    } catch {
      // Hint: nothing is left that could report this; the reply stays unanswered until uWS times it out.
    }
  }

  /** Send a JSON body (already serialized when `raw` is true). */
  json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}, raw = false): void {
    const text = raw ? (body as string) : JSON.stringify(body);
    this.write(status, text, { 'Content-Type': 'application/json', ...headers });
  }

  /** Send an HttpError, or log any other error and send a 500 without internals. */
  error(error: unknown): void {
    if (error instanceof HttpError) {
      this.json(error.status, { detail: error.detail }, error.headers);
      return;
    }
    this.options.logger.error({ err: error, path: this.options.path }, 'REST handler failed');
    this.json(500, { detail: 'Internal server error' });
  }

  /** Send a response without a body. */
  empty(status: number, headers: Readonly<Record<string, string>> = {}): void {
    this.write(status, '', headers);
  }

  /** Send any body (HTML, script, Prometheus text); `headers` name its Content-Type and may replace the CSP. */
  send(status: number, body: string | Buffer, headers: Readonly<Record<string, string>>): void {
    this.write(status, body, headers);
  }

  private write(status: number, body: string | Buffer, headers: Readonly<Record<string, string>>): void {
    if (this.aborted || this.done) return;
    this.done = true;
    try {
      this.res.cork(() => this.writeCorked(status, body, headers));
    } catch (error) {
      // Hint: the socket can go away between the abort check and the write; there is nobody left to answer.
      this.options.logger.error({ err: error, path: this.options.path }, 'REST response could not be written');
    }
    this.options.onFinish?.(status);
  }

  private writeCorked(status: number, body: string | Buffer, headers: Readonly<Record<string, string>>): void {
    const res = this.res;
    res.writeStatus(statusLine(status));
    // Hint: a page (the docs) may bring its own Content-Security-Policy; every other header is always sent.
    for (const [name, value] of SECURITY_HEADERS) if (headers[name] === undefined) res.writeHeader(name, value);
    if (this.options.requestId !== undefined) res.writeHeader('X-Request-Id', this.options.requestId);
    if (this.options.https) res.writeHeader('Strict-Transport-Security', HSTS);
    const corsOrigin = this.options.corsOrigin;
    if (corsOrigin !== null) {
      res.writeHeader('Access-Control-Allow-Origin', corsOrigin);
      if (corsOrigin !== '*') res.writeHeader('Vary', 'Origin');
    }
    for (const name in headers) res.writeHeader(name, headers[name]!);
    if (!this.options.head) {
      res.end(body);
      return;
    }
    // Hint: uWS 20.30's endWithoutBody(length) waits for that many body bytes and stalls the connection; writing
    // the header ourselves and ending without a length answers HEAD and keeps the connection usable.
    res.writeHeader('Content-Length', String(Buffer.byteLength(body)));
    res.endWithoutBody();
  }
}

/** Read the whole body, refusing more than `limit` bytes with a 413; every chunk runs inside the reply's boundary. */
export function readBody(reply: Reply, limit: number, onBody: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  reply.res.onData((chunk, isLast) =>
    reply.run(() => {
      if (tooLarge) return;
      size += chunk.byteLength;
      if (size > limit) {
        tooLarge = true;
        throw new HttpError(413, `request body exceeds ${limit} bytes`);
      }
      // Hint: uWS reuses the chunk's memory after this callback, so copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    }),
  );
}
