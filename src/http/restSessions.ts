import { SupervisorUnavailableError } from '../actors/pipelineOptions.js';
import type { PipelinePort, UserWindow } from '../actors/pipelinePort.js';
import { VIEW_USER_IDS } from '../actors/sessionView.js';
import { type Issue, preview } from '../protocol/issue.js';
import { ignoredParamsHeader, parseCount, parseLimit, readQuery, unknownParams } from '../protocol/queryParams.js';
import { isSessionStatus, SESSION_STATUSES } from '../protocol/sessionStatus.js';
import { HttpError } from './httpError.js';
import type { RouteSpec } from './restRouter.js';
import { validationError } from './validationError.js';

const LIST_PARAMS: ReadonlySet<string> = new Set(['status', 'limit']);
const VIEW_PARAMS: ReadonlySet<string> = new Set(['user_skip', 'user_limit']);

/** The users a session read asks for (`user_skip`, `user_limit`); 422 when either is not a count in range. */
function userWindow(params: ReadonlyMap<string, string>): UserWindow {
  const issues: Issue[] = [];
  const skip = parseCount('user_skip', params.get('user_skip'), issues);
  const limit = parseCount('user_limit', params.get('user_limit'), issues, VIEW_USER_IDS, VIEW_USER_IDS);
  if (issues.length > 0) throw validationError(issues, 'query');
  return { skip, limit };
}

/** A read or listing the server shut down under: 503, retry (another node, or this one once restarted). */
function listingFailed(error: unknown): unknown {
  if (error instanceof SupervisorUnavailableError) return new HttpError(503, error.message, { 'Retry-After': '1' });
  return error;
}

/** GET /sessions and /sessions/{session_id}: views folded from the log. */
export function sessionRoutes(pipeline: PipelinePort): RouteSpec[] {
  return [
    {
      method: 'GET',
      pattern: '/sessions/:session_id',
      rate: 'query',
      auth: true,
      handler: (info, reply) => {
        const params = readQuery(info.query);
        const users = userWindow(params);
        const ignored = ignoredParamsHeader(unknownParams(params, VIEW_PARAMS));
        // Hint: answered after the port's last slice (a session folded from the log takes several).
        pipeline.sessionView(info.params[0]!, users).then(
          (view) =>
            reply.run(() => {
              if (view === null) throw new HttpError(404, 'Session not found');
              reply.json(200, view, ignored);
            }),
          (error: unknown) =>
            reply.run(() => {
              throw listingFailed(error);
            }),
        );
      },
    },
    {
      method: 'GET',
      pattern: '/sessions',
      rate: 'query',
      auth: true,
      handler: (info, reply) => {
        const params = readQuery(info.query);
        const status = params.get('status') || undefined;
        const issues: Issue[] = [];
        if (status !== undefined && !isSessionStatus(status)) {
          issues.push({
            field: 'status',
            message: `must be one of ${SESSION_STATUSES.join(', ')} (got ${preview(status)})`,
          });
        }
        const limit = parseLimit(params.get('limit'), issues);
        if (issues.length > 0) throw validationError(issues, 'query');
        // Hint: the port folds pending records first, so the listing is current; it answers after its last slice.
        const ignored = ignoredParamsHeader(unknownParams(params, LIST_PARAMS));
        pipeline.sessionList(status, limit).then(
          (views) => reply.run(() => reply.json(200, views, ignored)),
          (error: unknown) =>
            reply.run(() => {
              throw listingFailed(error);
            }),
        );
      },
    },
  ];
}
