import { timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Pipeline, SubmitOutcome } from '../actors/pipeline.js';
import type { Config } from '../config.js';
import { parseEventInput, type EventInput } from '../protocol/eventInput.js';
import { parseEventQuery } from '../protocol/eventQuery.js';
import { formatTimestamp, recordJson, recordsJson, type StoredEvent } from '../protocol/eventRecord.js';
import { EVENT_TYPE_DESCRIPTIONS } from '../protocol/eventTypes.js';
import { prefixIssues, type Issue } from '../protocol/issue.js';
import { parseIsoTimestamp } from '../protocol/timestamp.js';
import { HttpError } from './httpError.js';
import { RateLimiter } from './rateLimiter.js';
import { readBody, Reply, requestInfo, type RequestInfo } from './reply.js';

/** What the REST handlers need. */
export interface RestDeps {
  readonly config: Config;
  readonly pipeline: Pipeline;
  readonly now: () => number;
  readonly version: string;
}

type RateClass = 'publish' | 'query' | 'admin' | 'none';
type Handler = (info: RequestInfo, reply: Reply) => void;

const SESSION_STATUSES = ['active', 'created', 'in_progress', 'completed', 'timed_out', 'ended'];

/** FastAPI-compatible 422: `{detail: [{loc, msg, type}]}`, one entry per field. */
export function validationError(issues: readonly Issue[], where: 'body' | 'query' = 'body'): HttpError {
  return new HttpError(
    422,
    issues.map((issue) => ({
      loc: [where, ...issue.field.split(/[.[\]]+/).filter((p) => p !== '').map((p) => (/^\d+$/.test(p) ? Number(p) : p))],
      msg: `${issue.field}: ${issue.message}`,
      type: 'value_error',
    })),
  );
}

function queryMap(query: string): Map<string, string> {
  return new Map(new URLSearchParams(query));
}

/** Constant-time API key comparison. */
export function keyMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Register the REST API, every path both under /api/v1 and unversioned. */
export function registerRestApi(app: TemplatedApp, deps: RestDeps): void {
  const { config, pipeline, now } = deps;
  const log = pipeline.log;
  const limiters: Record<Exclude<RateClass, 'none'>, RateLimiter> = {
    publish: new RateLimiter(config.rateLimitPublish, now),
    query: new RateLimiter(config.rateLimitQuery, now),
    admin: new RateLimiter(config.rateLimitAdmin, now),
  };

  const corsOriginFor = (origin: string): string | null => {
    if (config.corsOrigins.includes('*')) return '*';
    return origin !== '' && config.corsOrigins.includes(origin) ? origin : null;
  };

  /** Wrap a handler with auth, rate limiting and the central error handler. */
  const route = (method: 'get' | 'post' | 'del', pattern: string, paramCount: number, rate: RateClass, auth: boolean, handler: Handler) => {
    const wrapped = (res: HttpResponse, req: HttpRequest) => {
      const info = requestInfo(res, req, paramCount);
      const reply = new Reply(res, corsOriginFor(info.origin));
      try {
        if (auth && config.requireAuth && !keyMatches(info.apiKey, config.apiKey)) {
          throw new HttpError(401, 'Invalid or missing API key', { 'WWW-Authenticate': 'ApiKey' });
        }
        if (rate !== 'none') {
          const wait = limiters[rate].take(info.ip);
          if (wait > 0) throw new HttpError(429, `rate limit exceeded; retry in ${wait} s`, { 'Retry-After': String(wait) });
        }
        handler(info, reply);
      } catch (error) {
        reply.error(error);
      }
    };
    for (const prefix of ['', '/api/v1']) app[method](prefix + pattern, wrapped);
  };

  // POST /events: one object or an all-or-nothing array, acked after the group commit.
  route('post', '/events', 0, 'publish', true, (_info, reply) => {
    readBody(reply, config.maxBodyBytes, (body) => {
      try {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch (error) {
          throw new HttpError(400, `Invalid JSON body: ${(error as Error).message}`);
        }
        const isArray = Array.isArray(parsed);
        const items: unknown[] = isArray ? (parsed as unknown[]) : [parsed];
        if (items.length === 0) throw validationError([{ field: 'body', message: 'must contain at least one event' }]);
        const inputs: EventInput[] = [];
        const issues: Issue[] = [];
        items.forEach((item, i) => {
          const result = parseEventInput(item, config);
          if (result.ok) inputs.push(result.value);
          else issues.push(...(isArray ? prefixIssues(`[${i}]`, result.issues) : result.issues));
        });
        if (issues.length > 0) throw validationError(issues);
        const accepted = pipeline.submit(inputs, (outcome) => respondToPublish(reply, outcome, isArray));
        if (!accepted) {
          const detail = pipeline.stopping ? 'server shutting down; retry shortly' : 'pipeline is over its pending bound; retry shortly';
          throw new HttpError(503, detail, { 'Retry-After': '1' });
        }
      } catch (error) {
        reply.error(error);
      }
    });
  });

  route('get', '/events', 0, 'query', true, (info, reply) => {
    const parsed = parseEventQuery(queryMap(info.query));
    if (!parsed.ok) {
      if (parsed.status === 400) throw new HttpError(400, parsed.issues.map((i) => `${i.field}: ${i.message}`).join('; '));
      throw validationError(parsed.issues, 'query');
    }
    reply.json(200, recordsJson(log.query(parsed.value)), {}, true);
  });

  route('get', '/events/:id', 1, 'query', true, (info, reply) => {
    const event = log.getById(info.params[0]!);
    if (event === null) throw new HttpError(404, 'Event not found');
    reply.json(200, recordJson(event), {}, true);
  });

  route('del', '/events', 0, 'admin', true, (info, reply) => {
    const before = queryMap(info.query).get('before');
    let cutoff: number | undefined;
    if (before !== undefined && before !== '') {
      const ms = parseIsoTimestamp(before);
      if (ms === null) throw new HttpError(400, `before: invalid timestamp ${JSON.stringify(before)}; use ISO 8601, e.g. 2026-01-31T12:00:00Z`);
      cutoff = ms;
    }
    reply.json(200, { deleted: pipeline.deleteBefore(cutoff) });
  });

  route('get', '/stats', 0, 'query', true, (_info, reply) => {
    const stats = log.stats(now());
    reply.json(200, {
      total_events: stats.total_events,
      events_last_hour: stats.events_last_hour,
      by_type: stats.by_type.map((t) => ({ event_type: t.event_type, count: t.count, last_seen: formatTimestamp(t.last_seen) })),
      router: pipeline.stats(),
      head_offset: stats.head_offset,
      first_offset: stats.first_offset,
      epoch: stats.epoch,
    });
  });

  route('get', '/event-types', 0, 'query', true, (_info, reply) => reply.json(200, EVENT_TYPE_DESCRIPTIONS));

  route('get', '/health', 0, 'none', false, (_info, reply) =>
    reply.json(200, { status: 'ok', service: 'event-pipeline', version: deps.version, epoch: log.epoch }),
  );

  route('get', '/readiness', 0, 'none', false, (_info, reply) => {
    if (log.ping()) reply.json(200, { ready: true, database: 'connected', head_offset: log.headOffset(), epoch: log.epoch });
    else reply.json(503, { ready: false, database: 'unavailable' });
  });

  route('get', '/sessions/:id', 1, 'query', true, (info, reply) => {
    const view = pipeline.sessions.get(info.params[0]!);
    if (view === null) throw new HttpError(404, 'Session not found');
    reply.json(200, view);
  });

  route('get', '/sessions', 0, 'query', true, (info, reply) => {
    const params = queryMap(info.query);
    const status = params.get('status') || undefined;
    const limitText = params.get('limit') || '100';
    const limit = Number(limitText);
    const issues: Issue[] = [];
    if (status !== undefined && !SESSION_STATUSES.includes(status)) {
      issues.push({ field: 'status', message: `must be one of ${SESSION_STATUSES.join(', ')} (got ${JSON.stringify(status)})` });
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) issues.push({ field: 'limit', message: `must be an integer from 1 to 1000 (got ${JSON.stringify(limitText)})` });
    if (issues.length > 0) throw validationError(issues, 'query');
    // The projection trails live traffic until the next fold; fold now so the listing is current.
    pipeline.foldSessions();
    const sessions = [];
    for (const row of log.listSessions(status, limit)) {
      const view = pipeline.sessions.get(row.session_id);
      if (view !== null && (status === undefined || view.status === status)) sessions.push(view);
    }
    reply.json(200, sessions);
  });

  // CORS preflight for any path.
  app.options('/*', (res, req) => {
    const reply = new Reply(res, corsOriginFor(req.getHeader('origin')));
    reply.empty(204, {
      'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type, X-API-Key',
      'Access-Control-Max-Age': '600',
    });
  });

  app.any('/*', (res, req) => {
    const reply = new Reply(res, corsOriginFor(req.getHeader('origin')));
    reply.json(404, { detail: 'Not Found' });
  });
}

function respondToPublish(reply: Reply, outcome: SubmitOutcome, isArray: boolean): void {
  if (!outcome.ok) {
    if ('conflict' in outcome) {
      reply.json(409, { detail: `event id ${JSON.stringify(outcome.conflict.id)} already exists with different content` });
    } else reply.json(503, { detail: outcome.message }, { 'Retry-After': '1' });
    return;
  }
  // A producer id seen before returns its original record with 200; anything newly appended is a 201.
  const status = outcome.appended.length === 0 ? 200 : 201;
  reply.json(status, isArray ? recordsJson(outcome.records as StoredEvent[]) : recordJson(outcome.records[0]!), {}, true);
}
