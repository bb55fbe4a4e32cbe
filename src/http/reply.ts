import type { HttpResponse } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { AnswerBudget } from './answersUnderWay.js';
import { byteLength, corkedWrite, endOrHold } from './heldAnswer.js';
import { HttpError, internalDetail, logCutReply } from './httpError.js';
import { type HeaderOptions, writeHeaders } from './replyHeaders.js';

/** How a Reply answers: its headers' options (CORS origin, https, request id), HEAD (headers only), whether to close
 * the connection after it, and where to log failures. */
export interface ReplyOptions extends HeaderOptions {
  readonly head: boolean;
  readonly path: string;
  readonly logger: Logger;
  /** Whether to close the connection after the answer (the server is draining); asked when the answer is written. */
  readonly connectionClose?: () => boolean;
  /** Called once with the status written (0 when the client went away first), for the request log. */
  readonly onFinish?: (status: number) => void;
}

/** A response that may be written later (after a group commit): tracks abort, corks async writes, adds the security
 * and CORS headers to every reply, and is the error boundary for everything that answers it. */
export class Reply {
  aborted = false;
  private done = false;
  private reported = false;
  /** Run when the reply ends (null until one is asked for: most replies have none). */
  private finishers: (() => void)[] | null = null;
  /** Where its address's answers under way are counted (set by the router; null: not counted). */
  private answers: AnswerBudget | null = null;
  /** Frees the place of an answer the socket did not take at once, once it is out or cut off (null: none held). */
  private place: (() => void) | null = null;
  private closing = false; // see closeAfterAnswer

  constructor(
    readonly res: HttpResponse,
    /** Read by handlers too: `https` (a trusted proxy's X-Forwarded-Proto said the client used https). */
    readonly options: ReplyOptions,
  ) {
    // Hint: uWS also requires this to let a handler return before it has answered.
    res.onAborted(() => {
      this.aborted = true;
      this.freePlace();
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

  /** Close the connection once the answer is out, saying so (`Connection: close`); see readBody. */
  closeAfterAnswer(): void {
    this.closing = true;
  }

  private closes(): boolean {
    return this.closing || this.options.connectionClose?.() === true;
  }

  /** Count this reply's answer in `answers` if the socket cannot take it at once, and refuse a large one when full. */
  countIn(answers: AnswerBudget): void {
    this.answers = answers;
  }

  private write(status: number, body: string | Buffer, headers: Readonly<Record<string, string>>): void {
    if (this.aborted || this.done) return;
    const size = byteLength(body);
    const refusal = this.answers?.refusal(size) ?? null;
    if (refusal !== null) {
      this.error(refusal);
      return;
    }
    this.done = true;
    let held = false;
    try {
      this.res.cork(() => {
        held = !this.writeCorked(status, body, size, headers);
      });
    } catch (error) {
      // Hint: the socket can go away between the abort check and the write; there is nobody left to answer.
      this.options.logger.error({ err: error, path: this.options.path }, 'REST response could not be written');
    }
    // Hint: a write can also cut the connection; its onAborted has then run, and nothing is held.
    if (held && !this.aborted) this.place = this.answers?.hold() ?? null;
    this.report(status);
  }

  private freePlace(): void {
    this.place?.();
    this.place = null;
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
    // Hint: a chunked answer can only say it; the client closes after it (and the drain's close ends the rest).
    if (this.closes()) headers = { ...headers, Connection: 'close' };
    if (this.options.head) {
      this.res.cork(() => {
        writeHeaders(this.res, status, headers, this.options);
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
    this.res.cork(() => writeHeaders(this.res, status, headers, this.options));
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

  /** Write the answer; false when the socket did not take all of it (the rest goes as the client reads). */
  private writeCorked(
    status: number,
    body: string | Buffer,
    size: number,
    headers: Readonly<Record<string, string>>,
  ): boolean {
    const res = this.res;
    const close = this.closes();
    // Hint: end(…, true) writes `Connection: close` itself (writing it too sent the header twice) and closes the
    // connection once the answer is out; a HEAD answer only says so.
    writeHeaders(res, status, close && this.options.head ? { ...headers, Connection: 'close' } : headers, this.options);
    if (close && !this.options.head) {
      res.end(body, true);
      return true;
    }
    if (!this.options.head) return endOrHold(res, body, size, () => this.freePlace());
    // Hint: uWS 20.30's endWithoutBody(length) waits for that many body bytes and stalls the connection; writing
    // the header ourselves and ending without a length answers HEAD and keeps the connection usable.
    res.writeHeader('Content-Length', String(size));
    res.endWithoutBody();
    return true;
  }
}
