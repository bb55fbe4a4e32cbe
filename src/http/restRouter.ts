import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { Config, RateLimit } from '../config.js';
import { allowedMethods } from '../protocol/allowedMethods.js';
import type { RouteDoc } from '../protocol/openApiRoutes.js';
import { AnswersUnderWay } from './answersUnderWay.js';
import { clientAddress } from './clientAddress.js';
import { CorsPolicy, pageOrigin } from './corsPolicy.js';
import { HttpError, statusLine } from './httpError.js';
import { keyMatches } from './keyMatches.js';
import type { RateLimiters } from './rateLimits.js';
import { Reply } from './reply.js';
import { cutAtTwoLengths, type RequestInfo, requestInfo } from './requestInfo.js';
import { loggedPath, type RequestContext, type RequestLog } from './requestLog.js';
import { slashRedirect } from './trailingSlash.js';
import type { UpgradeChecks } from './wsUpgrade.js';

/** Which per-IP budget a route draws on. */
export type RateClass = keyof RateLimiters | 'none';

/**
 * A route's handler: throw HttpError for a 4xx, or answer through `reply` (now or after a commit); `client()` is the
 * client's address (its rate limits' and log lines'), read on demand.
 */
export type Handler = (info: RequestInfo, reply: Reply, client: () => string) => void;

/** One REST route. GET routes answer HEAD too. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly pattern: string;
  readonly rate: RateClass;
  readonly auth: boolean;
  readonly handler: Handler;
  /** Its answer may be sent a piece at a time: bounded per client address (MAX_HTTP_STREAMS_PER_IP). */
  readonly streamed?: boolean;
  /** The OpenAPI entry of a route documented beside its handler (the API's own routes are in openApiRoutes.ts). */
  readonly doc?: RouteDoc;
  /** A file a page loads or a redirect to a page: served, but left out of the OpenAPI document's operations. */
  readonly asset?: true;
}

/** What the router needs besides its routes. */
export interface RouterDeps {
  readonly config: Config;
  readonly limiters: RateLimiters;
  readonly logger: Logger;
  /** Request lines, failed-auth warnings and their metrics. */
  readonly requestLog?: RequestLog;
  /** True once the server is shutting down: every answer then says `Connection: close`. */
  readonly draining?: () => boolean;
  /** The WebSocket endpoints' upgrade checks (see plainUpgrade). */
  readonly wsChecks?: UpgradeChecks;
}

/** Every path is served unversioned and under /api/v1, as the old service did. */
const PREFIXES = ['', '/api/v1'] as const;

/** The WebSocket endpoints (see wsApi), under either prefix. */
const WS_PATH = /^(?:\/api\/v1)?\/ws\/(?:publish|subscribe)$/;

/**
 * Mounts routes on uWS with one boundary around each: auth, per-IP rate limits, 405 with `Allow` for a known path
 * and another method, HEAD wherever GET is, CORS preflight, and a 404 for everything else. No throw reaches uWS.
 */
export class RestRouter {
  private readonly limits: Readonly<Record<keyof RateLimiters, RateLimit | null>>;

  private readonly answers: AnswersUnderWay;
  private readonly draining: () => boolean;
  private readonly cors: CorsPolicy;

  constructor(private readonly deps: RouterDeps) {
    const { config } = deps;
    this.draining = deps.draining ?? (() => false);
    this.cors = new CorsPolicy(config.corsOrigins);
    this.answers = new AnswersUnderWay(config.maxHttpStreamsPerIp, () => deps.requestLog?.rateLimited('http_streams'));
    this.limits = { publish: config.rateLimitPublish, query: config.rateLimitQuery, admin: config.rateLimitAdmin };
  }

  /** Answers being sent as their clients read, all addresses together (MAX_HTTP_STREAMS_PER_IP counts them). */
  get answersUnderWay(): number {
    return this.answers.total;
  }

  /** Register `routes` under both prefixes, then the preflight and 404 fallbacks. */
  mount(app: TemplatedApp, routes: readonly RouteSpec[]): void {
    const byPattern = new Map<string, RouteSpec[]>();
    for (const route of routes) byPattern.set(route.pattern, [...(byPattern.get(route.pattern) ?? []), route]);
    for (const [pattern, group] of byPattern) {
      const paramCount = pattern.split('/').filter((part) => part.startsWith(':')).length;
      const allow = allowedMethods(group.map((route) => route.method));
      for (const prefix of PREFIXES) {
        const path = prefix + pattern;
        for (const route of group) {
          const method = route.method === 'GET' ? 'get' : route.method === 'POST' ? 'post' : 'del';
          const serve = (res: HttpResponse, req: HttpRequest) =>
            this.serve(res, req, paramCount, (info, reply) => this.dispatch(route, info, reply));
          app[method](path, serve);
          if (route.method === 'GET') app.head(path, serve);
        }
        // Hint: uWS prefers a method's own handler over `any` on the same pattern, so this sees only other methods.
        app.any(path, (res, req) => this.serve(res, req, 0, (info, reply) => this.otherMethod(info, reply, allow)));
      }
    }
    app.options('/*', (res, req) => this.serve(res, req, 0, (info, reply) => this.preflight(info, reply)));
    const withoutSlash = slashRedirect(PREFIXES.flatMap((prefix) => [...byPattern.keys()].map((p) => prefix + p)));
    app.any('/*', (res, req) =>
      this.serve(res, req, 0, (info, reply) => {
        const target = withoutSlash(info.path, info.query);
        if (target !== null) return reply.empty(307, { Location: target });
        // Hint: uWS routes only upgrade requests to the WebSocket endpoints; a plain request (curl, a browser tab)
        // would otherwise read 404 for a path the README names.
        if (WS_PATH.test(info.path)) throw this.plainUpgrade(info, reply, req.getHeader('sec-fetch-site'));
        throw new HttpError(404, 'Not Found');
      }),
    );
  }

  /** The boundary around one uWS request callback. */
  private serve(
    res: HttpResponse,
    req: HttpRequest,
    paramCount: number,
    body: (info: RequestInfo, reply: Reply) => void,
  ): void {
    let reply: Reply | null = null;
    try {
      const log = this.deps.requestLog;
      const startedAt = log?.clock() ?? 0;
      const info = requestInfo(req, paramCount);
      if (cutAtTwoLengths(res, info.contentLength, info.path, this.deps.logger)) return;
      const context = log?.enabled ? this.context(res, info) : null;
      reply = new Reply(res, {
        corsOrigin: this.cors.allowOrigin(info.origin),
        head: info.method === 'HEAD',
        // Hint: only a trusted proxy's X-Forwarded-Proto can say https; skip the address work when it is absent.
        https: info.forwardedProto !== '' && this.client(res, info).https,
        path: loggedPath(info.path),
        logger: this.deps.logger,
        requestId: info.requestId,
        // Hint: while draining, each answer closes its keep-alive connection, so no later request meets the close.
        connectionClose: this.draining,
        ...(log === undefined
          ? {}
          : { onFinish: (status: number) => log.answered(context ?? this.bare(info), status, startedAt) }),
      });
      body(info, reply);
    } catch (error) {
      if (reply !== null) reply.fail(error);
      else this.lastResort(res, error);
    }
  }

  private dispatch(route: RouteSpec, info: RequestInfo, reply: Reply): void {
    const { config } = this.deps;
    // Hint: the peer's address is read once, when first needed (uWS's getRemoteAddressAsText costs about 3.7 µs).
    let address: string | undefined;
    const client = () => (address ??= this.client(reply.res, info).ip);
    // Hint: the budget first, so guessing keys spends it too (and cannot flood the log with auth failures).
    if (route.rate !== 'none') this.spend(route.rate, client);
    if (route.auth && config.requireAuth && !keyMatches(info.apiKey, config.apiKeys)) {
      // Hint: a route no budget covers (/metrics, so scrapes are never refused) still charges a guess to the query
      // budget: 23,452 guesses in 2 s met no limit there.
      if (route.rate === 'none') this.spend('query', client);
      this.deps.requestLog?.authFailed(this.context(reply.res, info));
      throw new HttpError(401, 'Invalid or missing API key', { 'WWW-Authenticate': 'ApiKey' });
    }
    if (route.method === 'DELETE' && !this.cors.mayDelete(info.origin, info.host))
      throw new HttpError(403, CorsPolicy.deleteRefusal(info.origin));
    const streamed = route.streamed === true;
    if (streamed) reply.whenFinished(this.answers.take(client()));
    reply.countIn(this.answers.forReply(client, !streamed));
    route.handler(info, reply, client);
  }

  /**
   * A plain GET (or HEAD) to a WebSocket endpoint: what its upgrade would be refused with (the same checks, the same
   * answer), else 426. Hint: a browser's WebSocket (and Node's, undici) cannot read a refused upgrade's status, so the
   * SDK asks this way why its socket failed, and fails at once on a refused key instead of reconnecting for ever.
   */
  private plainUpgrade(info: RequestInfo, reply: Reply, fetchSite: string): HttpError {
    const checks = info.method === 'GET' || info.method === 'HEAD' ? this.deps.wsChecks : undefined;
    const apiKey = info.apiKey || new URLSearchParams(info.query).get('api_key') || '';
    const origin = pageOrigin(info.origin, info.host, reply.options.https, fetchSite);
    const refusal = checks?.(this.context(reply.res, info), apiKey, origin, true) ?? null;
    if (refusal !== null) return new HttpError(refusal.status, refusal.detail, refusal.headers);
    const detail = `${info.path} is a WebSocket endpoint: connect with a WebSocket client`;
    return new HttpError(426, detail, { Upgrade: 'websocket' });
  }

  /** Take one request from the client's `rate` budget (when that limit is set); 429 when it is spent. */
  private spend(rate: keyof RateLimiters, client: () => string): void {
    if (this.limits[rate] === null) return;
    const limiter = this.deps.limiters[rate];
    const wait = limiter.take(client());
    if (wait <= 0) return;
    this.deps.requestLog?.rateLimited(rate);
    throw new HttpError(429, limiter.refusal(wait), { 'Retry-After': String(wait) });
  }

  private otherMethod(info: RequestInfo, reply: Reply, allow: string): void {
    if (info.method === 'OPTIONS') this.preflight(info, reply);
    else throw new HttpError(405, 'Method Not Allowed', { Allow: allow });
  }

  private preflight(info: RequestInfo, reply: Reply): void {
    reply.empty(204, this.cors.preflightHeaders(info.origin, info.host));
  }

  /** The client behind TRUST_PROXY (per-IP limits count it, not the proxy). */
  private client(res: HttpResponse, info: RequestInfo) {
    const peer = Buffer.from(res.getRemoteAddressAsText()).toString();
    return clientAddress(peer, info.forwardedFor, info.forwardedProto, this.deps.config.trustProxy);
  }

  /** The request as log lines name it. */
  private context(res: HttpResponse, info: RequestInfo): RequestContext {
    return { method: info.method, path: info.path, client: this.client(res, info).ip, request_id: info.requestId };
  }

  /** The request without its address (LOG_REQUESTS=false: only metrics read it). */
  private bare(info: RequestInfo): RequestContext {
    return { method: info.method, path: info.path, client: '', request_id: info.requestId };
  }

  /** A throw before the Reply existed: answer 500 directly, and never let a second throw reach uWS. */
  private lastResort(res: HttpResponse, error: unknown): void {
    try {
      this.deps.logger.error({ err: error }, 'REST request failed before it could be read');
      res.cork(() =>
        res
          .writeStatus(statusLine(500))
          .writeHeader('Content-Type', 'application/json')
          .end('{"detail":"Internal server error"}'),
      );
    } catch {
      // Hint: the socket is gone; nothing is left to answer.
    }
  }
}
