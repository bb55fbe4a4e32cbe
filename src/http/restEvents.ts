import { isUtf8 } from 'node:buffer';
import type { PipelinePort, SubmitOutcome } from '../actors/pipelinePort.js';
import type { Config } from '../config.js';
import { parseEventInput, type EventInput } from '../protocol/eventInput.js';
import { parseEventQuery } from '../protocol/eventQuery.js';
import { recordJson, recordsJson, type StoredEvent } from '../protocol/eventRecord.js';
import { IssueList, preview } from '../protocol/issue.js';
import { parseIsoTimestamp } from '../protocol/timestamp.js';
import { HttpError } from './httpError.js';
import { readBody, type Reply } from './reply.js';
import type { RouteSpec } from './restRouter.js';
import { validationError } from './validationError.js';

/** Query parameters as a plain map (the last value of a repeated name wins, as before). */
export function queryMap(query: string): Map<string, string> {
  return new Map(new URLSearchParams(query));
}

/** The parsed POST /events body: one event, or an all-or-nothing array. */
function parseBody(body: Buffer): unknown {
  // Hint: toString would turn broken UTF-8 into U+FFFD and store something the producer never sent.
  if (!isUtf8(body)) throw new HttpError(400, 'Invalid JSON body: not valid UTF-8');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `Invalid JSON body: ${(error as Error).message}`);
  }
}

/** Validate every event; 422 with the first issues (and how many in all) when any is bad. */
function validateEvents(items: readonly unknown[], isArray: boolean, config: Config, bodyBytes: number): EventInput[] {
  if (items.length === 0) throw validationError([{ field: 'body', message: 'must contain at least one event' }]);
  const inputs: EventInput[] = [];
  const issues = new IssueList();
  for (let i = 0; i < items.length; i++) {
    const result = parseEventInput(items[i], config);
    if (result.ok) inputs.push(result.value);
    else issues.add(result.issues, isArray ? `[${i}]` : undefined);
  }
  if (!issues.empty) throw validationError(issues.listed, 'body', issues.total, bodyBytes);
  return inputs;
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

/** POST, GET and DELETE /events and GET /events/{id}. */
export function eventRoutes(config: Config, pipeline: PipelinePort): RouteSpec[] {
  return [
    {
      // One object or an all-or-nothing array, acked after the group commit.
      method: 'POST', pattern: '/events', rate: 'publish', auth: true,
      handler: (_info, reply) =>
        readBody(reply, config.maxBodyBytes, (body) => {
          const parsed = parseBody(body);
          const isArray = Array.isArray(parsed);
          const inputs = validateEvents(isArray ? parsed : [parsed], isArray, config, body.byteLength);
          const accepted = pipeline.submit(inputs, (outcome) => reply.run(() => respondToPublish(reply, outcome, isArray)));
          if (!accepted) {
            const detail = pipeline.stopping ? 'server shutting down; retry shortly' : 'pipeline is over its pending bound; retry shortly';
            throw new HttpError(503, detail, { 'Retry-After': '1' });
          }
        }),
    },
    {
      // Hint: an empty filter value (`?session_id=`) means no filter, as in the old service; empty ids are refused
      // at publish, so no stored event has one to match.
      method: 'GET', pattern: '/events', rate: 'query', auth: true,
      handler: (info, reply) => {
        const parsed = parseEventQuery(queryMap(info.query));
        if (!parsed.ok) {
          if (parsed.status === 400) throw new HttpError(400, parsed.issues.map((i) => `${i.field}: ${i.message}`).join('; '));
          throw validationError(parsed.issues, 'query');
        }
        reply.json(200, recordsJson(pipeline.query(parsed.value)), {}, true);
      },
    },
    {
      method: 'GET', pattern: '/events/:id', rate: 'query', auth: true,
      handler: (info, reply) => {
        const event = pipeline.getById(info.params[0]!);
        if (event === null) throw new HttpError(404, 'Event not found');
        reply.json(200, recordJson(event), {}, true);
      },
    },
    {
      method: 'DELETE', pattern: '/events', rate: 'admin', auth: true,
      handler: (info, reply) => {
        const before = queryMap(info.query).get('before');
        let cutoff: number | undefined;
        if (before !== undefined && before !== '') {
          const ms = parseIsoTimestamp(before);
          if (ms === null) throw new HttpError(400, `before: invalid timestamp ${preview(before)}; use ISO 8601, e.g. 2026-01-31T12:00:00Z`);
          cutoff = ms;
        }
        reply.json(200, { deleted: pipeline.deleteBefore(cutoff) });
      },
    },
  ];
}
