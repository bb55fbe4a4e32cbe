import type { PipelinePort } from '../actors/pipelinePort.js';
import { formatTimestamp } from '../protocol/eventRecord.js';
import type { Issue } from '../protocol/issue.js';
import { ignoredParamsHeader, parseLimit, readQuery, unknownParams } from '../protocol/queryParams.js';
import type { RouteSpec } from './restRouter.js';
import { validationError } from './validationError.js';

const LIMIT_ONLY: ReadonlySet<string> = new Set(['limit']);

/** GET /subscribers: live subscribers by mode, and the most lagging ones with their filter, position and lag. */
export function subscriberRoutes(pipeline: PipelinePort): RouteSpec[] {
  return [
    {
      method: 'GET',
      pattern: '/subscribers',
      rate: 'query',
      auth: true,
      handler: (info, reply) => {
        const params = readQuery(info.query);
        const issues: Issue[] = [];
        const limit = parseLimit(params.get('limit'), issues);
        if (issues.length > 0) throw validationError(issues, 'query');
        const listing = pipeline.subscribers(limit);
        const ignored = ignoredParamsHeader(unknownParams(params, LIMIT_ONLY));
        reply.json(
          200,
          {
            ...listing,
            subscribers: listing.subscribers.map((row) => ({
              ...row,
              connected_at: formatTimestamp(row.connected_at),
              last_activity: formatTimestamp(row.last_activity),
            })),
          },
          ignored,
        );
      },
    },
  ];
}
