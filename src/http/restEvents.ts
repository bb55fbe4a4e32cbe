import type { PipelinePort } from '../actors/pipelinePort.js';
import type { Config } from '../config.js';
import { LogWriteError, RetentionRefusedError } from '../persistence/eventLog.js';
import { EVENT_QUERY_PARAMS, parseEventQuery, retentionHeader } from '../protocol/eventQuery.js';
import { recordJson, recordsJson } from '../protocol/eventRecord.js';
import { formatIssues } from '../protocol/issue.js';
import { readJsonBody } from '../protocol/jsonBody.js';
import { lossyIntegerMessage, storedLossyInteger } from '../protocol/lossyIntegers.js';
import {
  ignoredFieldsHeader,
  type PublishMessage,
  publishInputs,
  readPublishMessage,
  storedParts,
} from '../protocol/publishMessage.js';
import { type PublishReply, publishReply } from '../protocol/publishReply.js';
import { QueryPages, SCAN_OFFSETS } from '../protocol/queryPages.js';
import { ignoredParamsHeader, readQuery, unknownParams } from '../protocol/queryParams.js';
import { parseRetentionQuery } from '../protocol/retentionQuery.js';
import { submitRefusalMessage } from '../protocol/submitRefusal.js';
import { BodyBudget, type BodyRefusal } from './bodyBudget.js';
import { HttpError } from './httpError.js';
import type { ServerMetrics } from './metrics.js';
import { readBody } from './readBody.js';
import type { Reply } from './reply.js';
import type { RouteSpec } from './restRouter.js';
import { unreadableBody, validationError } from './validationError.js';

/** The parsed POST /events body, unwrapped: one event, or an all-or-nothing array. */
function parseBody(body: Buffer): PublishMessage {
  // Hint: toString would turn broken UTF-8 into U+FFFD and store something the producer never sent, and kept a
  // leading BOM, which JSON.parse refused; /ws/publish decodes the same way.
  const read = readJsonBody(body);
  if (!read.ok) throw unreadableBody(read);
  const { text, value } = read;
  const message = readPublishMessage(value, 'body');
  const lossy = storedLossyInteger(text, () => storedParts(value, message));
  if (lossy === null) return message;
  throw validationError([{ field: lossy.path || 'body', message: lossyIntegerMessage(lossy.token) }]);
}

/**
 * Refuse a compressed body before reading it. Hint: the old service ignored Content-Encoding too, but then answered
 * a gzip body with a JSON decode error; this names the header instead (RFC 7694: 415 with the codings we take).
 */
function refuseEncoding(contentEncoding: string, transferEncoding: string): void {
  const coding = contentEncoding.trim().toLowerCase();
  if (coding !== '' && coding !== 'identity') throw encodingRefusal('Content-Encoding', contentEncoding, '');
  // Hint: uWS takes `chunked` and passes any other transfer coding's bytes on as they came (`gzip, chunked`).
  const other = transferEncoding.split(',').some((c) => c.trim() !== '' && c.trim().toLowerCase() !== 'chunked');
  if (other) throw encodingRefusal('Transfer-Encoding', transferEncoding, ' (chunked alone is fine)');
}

function encodingRefusal(header: string, value: string, hint: string): HttpError {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  const detail = `${header}: ${JSON.stringify(shown)} is not supported; send the body uncompressed${hint}`;
  return new HttpError(415, detail, { 'Accept-Encoding': 'identity' });
}

/**
 * Refuse a body that does not say it is JSON. Hint: a browser sends `text/plain` (or a form) cross-origin without a
 * CORS preflight, so taking any type let every web page publish into the log; the old service (FastAPI) read JSON
 * only without a Content-Type or with application/json or application/*+json, as here.
 */
function refuseContentType(contentType: string): void {
  if (isJsonMediaType(contentType)) return;
  const shown = contentType.length > 60 ? `${contentType.slice(0, 60)}…` : contentType;
  throw new HttpError(415, `Content-Type: ${JSON.stringify(shown)} is not supported; send application/json`);
}

/** True for no media type, application/json or application/*+json, with any parameters (charset=utf-8). */
function isJsonMediaType(contentType: string): boolean {
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === '' || type === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(type);
}

/** Render a publish reply: the stored record(s) with `headers`, or the old service's `{detail}` with its status. */
function renderPublish(reply: Reply, result: PublishReply, isArray: boolean, headers: Record<string, string>): void {
  if (result.kind === 'refused') {
    reply.json(result.status, { detail: result.message }, result.status === 503 ? { 'Retry-After': '1' } : {});
    return;
  }
  reply.json(result.status, isArray ? recordsJson(result.records) : recordJson(result.records[0]!), headers, true);
}

/** A DELETE /events that deleted nothing: refused for good (409, naming why), or not done now (503, retry). */
function retentionFailed(error: unknown): unknown {
  if (error instanceof RetentionRefusedError) return new HttpError(409, error.message);
  if (error instanceof LogWriteError) return new HttpError(503, error.message, { 'Retry-After': '1' });
  return error;
}

/** GET /events: the query's answer, read a page (or a span of offsets) per turn. */
function queryRoute(pipeline: PipelinePort, later: (fn: () => void) => void): RouteSpec {
  const bounds = { firstOffset: () => pipeline.firstOffset(), headOffset: () => pipeline.headOffset() };
  return {
    // Hint: an empty filter value (`?session_id=`) means no filter, as in the old service; empty ids are refused
    // at publish, so no stored event has one to match. Unknown parameters are ignored, as there, and named in a
    // header, so `?sesion_id=` is visible rather than silently answering every session.
    method: 'GET',
    pattern: '/events',
    rate: 'query',
    auth: true,
    streamed: true,
    handler: (info, reply) => {
      const params = readQuery(info.query);
      const parsed = parseEventQuery(params);
      if (!parsed.ok) {
        if (parsed.status === 400) throw new HttpError(400, formatIssues(parsed.issues));
        throw validationError(parsed.issues, 'query');
      }
      const pages = new QueryPages((query) => pipeline.query(query), parsed.value, {
        bounds,
        scanOffsets: SCAN_OFFSETS,
      });
      const ignored = ignoredParamsHeader(unknownParams(params, EVENT_QUERY_PARAMS));
      const retention = retentionHeader(parsed.value, bounds.firstOffset());
      reply.pieces(200, { 'Content-Type': 'application/json', ...ignored, ...retention }, pages, later);
    },
  };
}

/** POST, GET and DELETE /events and GET /events/{id}. */
export function eventRoutes(
  config: Config,
  pipeline: PipelinePort,
  later: (fn: () => void) => void,
  metrics?: ServerMetrics,
): RouteSpec[] {
  const budget = new BodyBudget(config.maxBodyBufferBytes, config.maxBodyBufferBytesPerIp);
  metrics?.holding('bodies', () => budget.bytes);
  const onRefused = (bound: BodyRefusal) => metrics?.refusedAtBound(bound);
  return [
    {
      // One object or an all-or-nothing array, acked after the group commit.
      method: 'POST',
      pattern: '/events',
      rate: 'publish',
      auth: true,
      handler: (info, reply, client) => {
        refuseEncoding(info.contentEncoding, info.transferEncoding);
        refuseContentType(info.contentType);
        const held = { budget, address: client, onRefused, contentLength: info.contentLength };
        readBody(reply, config.maxBodyBytes, held, (body) => {
          const message = parseBody(body);
          const parsed = publishInputs(message, config, 'body');
          if (!parsed.ok) throw validationError(parsed.issues, 'body', body.byteLength);
          const isArray = message.isBatch;
          const ignored = ignoredFieldsHeader(message.items);
          const refusal = pipeline.submit(parsed.value, (outcome) =>
            reply.run(() => renderPublish(reply, publishReply(outcome, parsed.value), isArray, ignored)),
          );
          if (refusal !== null) {
            const detail = submitRefusalMessage(refusal, config, 'server shutting down; retry shortly');
            throw new HttpError(503, detail, { 'Retry-After': '1' });
          }
        });
      },
    },
    queryRoute(pipeline, later),
    {
      method: 'GET',
      pattern: '/events/:id',
      rate: 'query',
      auth: true,
      handler: (info, reply) => {
        const event = pipeline.getById(info.params[0]!);
        if (event === null) throw new HttpError(404, 'Event not found');
        reply.json(200, recordJson(event), {}, true);
      },
    },
    {
      method: 'DELETE',
      pattern: '/events',
      rate: 'admin',
      auth: true,
      handler: (info, reply) => {
        const query = parseRetentionQuery(info.query);
        if (!query.ok) throw new HttpError(400, formatIssues(query.issues));
        pipeline.retain(query.value.before).then(
          (deleted) => reply.run(() => reply.json(200, { deleted })),
          (error: unknown) =>
            reply.run(() => {
              throw retentionFailed(error);
            }),
        );
      },
    },
  ];
}
