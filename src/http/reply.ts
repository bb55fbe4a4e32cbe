import type { HttpResponse } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import { FIRST_AVAILABLE_HEADER } from '../protocol/eventQuery.js';
import { IGNORED_FIELDS_HEADER } from '../protocol/publishMessage.js';
import { IGNORED_PARAMS_HEADER } from '../protocol/queryParams.js';
import { HttpError, internalDetail, logCutReply, statusLine } from './httpError.js';

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
/** Response headers a cross-origin script may read: the request id, ignored names, when to retry. */
const EXPOSED_HEADERS = [
  'X-Request-Id',
  IGNORED_PARAMS_HEADER,
  IGNORED_FIELDS_HEADER,
  FIRST_AVAILABLE_HEADER,
  'Retry-After',
].join(', ');

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
  private reported = false;
  /** Run when the reply ends (null until one is asked for: most replies have none). */
  private finishers: (() => void)[] | null = null;

  constructor(
    readonly res: HttpResponse,
    private readonly options: ReplyOptions,
  ) {
    // Hint: uWS also requires this to let a handler return before it has answered.
    res.onAborted(() => {
      this.aborted = true;
      this.report(0);
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
    this.json(500, { detail: internalDetail(error) });
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
    this.report(status);
  }

  /** Run `fn` once the reply has ended (answered, cut off or aborted); at once when it has. */
  whenFinished(fn: () => void): void {
    if (this.reported) fn();
    else this.finishers = [...(this.finishers ?? []), fn];
  }

  /** Tell onFinish how the reply ended, once: a later abort of a reply already answered changes nothing. */
  private report(status: number): void {
    if (this.reported) return;
    this.reported = true;
    if (this.finishers !== null) for (const fn of this.finishers) fn();
    this.options.onFinish?.(status);
  }

  /**
   * Send a body that `pieces` produces a piece at a time (a JSON array of many records): one piece per event-loop
   * turn, and none while the client has not read what was sent, so a large reply neither holds the thread nor piles
   * up in memory for a client that stops reading. A body of one piece goes out as one write, with its Content-Length,
   * as `send` does; a longer one is chunked (and a HEAD says so without producing the rest).
   */
  pieces(
    status: number,
    headers: Readonly<Record<string, string>>,
    pieces: { next(): string | null; readonly done: boolean },
    later: (fn: () => void) => void,
  ): void {
    if (this.finished) return;
    const first = pieces.next() ?? '';
    if (pieces.done) {
      this.write(status, first, headers);
      return;
    }
    this.done = true;
    if (this.options.head) {
      this.res.cork(() => {
        this.writeHead(status, headers);
        this.res.writeHeader('Transfer-Encoding', 'chunked');
        this.res.endWithoutBody();
      });
      this.report(status);
      return;
    }
    let waiting = false;
    const pump = (piece: string | null): void => {
      if (this.aborted) return;
      if (piece === null) {
        this.res.cork(() => this.res.end());
        this.report(status);
        return;
      }
      // Hint: a piece may be empty (a sparse read); uWS would send an empty chunk, which ends a chunked body.
      const written = piece === '' || corkedWrite(this.res, piece);
      const go = () => later(() => this.guarded(() => pump(pieces.next())));
      if (written) go();
      else if (!waiting) {
        waiting = true;
        this.res.onWritable(() => {
          if (!waiting) return true;
          waiting = false;
          go();
          return true;
        });
      }
    };
    this.res.cork(() => this.writeHead(status, headers));
    pump(first);
  }

  /** Run a step of a reply already under way: a failure there can only cut the connection (its status is sent). */
  private guarded(step: () => void): void {
    try {
      step();
    } catch (error) {
      logCutReply(this.options.logger, this.options.path, error);
      this.report(0);
      if (!this.aborted) this.res.close();
    }
  }

  private writeCorked(status: number, body: string | Buffer, headers: Readonly<Record<string, string>>): void {
    const res = this.res;
    this.writeHead(status, headers);
    if (!this.options.head) {
      res.end(body);
      return;
    }
    // Hint: uWS 20.30's endWithoutBody(length) waits for that many body bytes and stalls the connection; writing
    // the header ourselves and ending without a length answers HEAD and keeps the connection usable.
    res.writeHeader('Content-Length', String(Buffer.byteLength(body)));
    res.endWithoutBody();
  }

  private writeHead(status: number, headers: Readonly<Record<string, string>>): void {
    const res = this.res;
    res.writeStatus(statusLine(status));
    // Hint: a page (the docs) may bring its own Content-Security-Policy; every other header is always sent.
    for (const [name, value] of SECURITY_HEADERS) if (headers[name] === undefined) res.writeHeader(name, value);
    if (this.options.requestId !== undefined) res.writeHeader('X-Request-Id', this.options.requestId);
    if (this.options.https) res.writeHeader('Strict-Transport-Security', HSTS);
    const corsOrigin = this.options.corsOrigin;
    if (corsOrigin !== null) {
      res.writeHeader('Access-Control-Allow-Origin', corsOrigin);
      // Hint: a browser's script sees only safelisted response headers unless they are exposed.
      res.writeHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
      if (corsOrigin !== '*') res.writeHeader('Vary', 'Origin');
    }
    for (const name in headers) res.writeHeader(name, headers[name]!);
  }
}

/**
 * Write one chunk, corked; false when uWS kept part of it to send later (wait for onWritable). Hint: a function of its
 * own, so no closure that waits for onWritable shares a scope with the chunk: such a closure kept each stalled
 * reader's piece alive (6 MB for 100 records of 60 KB) beside uWS's own copy of the unsent part.
 */
function corkedWrite(res: HttpResponse, piece: string): boolean {
  let written = true;
  res.cork(() => {
    written = res.write(piece);
  });
  return written;
}
