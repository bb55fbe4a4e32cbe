import type { PipelinePort } from '../actors/pipelinePort.js';
import { type Issue, preview } from '../protocol/issue.js';
import { isSessionStatus, SESSION_STATUSES } from '../protocol/sessionStatus.js';
import { HttpError } from './httpError.js';
import { queryMap } from './restEvents.js';
import type { RouteSpec } from './restRouter.js';
import { validationError } from './validationError.js';

/** GET /sessions and /sessions/{id}: views folded from the log. */
export function sessionRoutes(pipeline: PipelinePort): RouteSpec[] {
  return [
    {
      method: 'GET',
      pattern: '/sessions/:id',
      rate: 'query',
      auth: true,
      handler: (info, reply) => {
        const view = pipeline.sessionView(info.params[0]!);
        if (view === null) throw new HttpError(404, 'Session not found');
        reply.json(200, view);
      },
    },
    {
      method: 'GET',
      pattern: '/sessions',
      rate: 'query',
      auth: true,
      handler: (info, reply) => {
        const params = queryMap(info.query);
        const status = params.get('status') || undefined;
        const limitText = params.get('limit') || '100';
        const limit = Number(limitText);
        const issues: Issue[] = [];
        if (status !== undefined && !isSessionStatus(status)) {
          issues.push({
            field: 'status',
            message: `must be one of ${SESSION_STATUSES.join(', ')} (got ${preview(status)})`,
          });
        }
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
          issues.push({ field: 'limit', message: `must be an integer from 1 to 1000 (got ${preview(limitText)})` });
        if (issues.length > 0) throw validationError(issues, 'query');
        // Hint: the port folds pending records first, so the listing is current.
        reply.json(200, pipeline.sessionList(status, limit));
      },
    },
  ];
}
