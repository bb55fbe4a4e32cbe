import type { PipelinePort } from '../actors/pipelinePort.js';
import { formatTimestamp } from '../protocol/eventRecord.js';
import { preview } from '../protocol/issue.js';
import { queryMap } from './restEvents.js';
import type { RouteSpec } from './restRouter.js';
import { validationError } from './validationError.js';

/** GET /subscribers: live subscribers by mode, and the most lagging ones with their filter, position and lag. */
export function subscriberRoutes(pipeline: PipelinePort): RouteSpec[] {
  return [
    {
      method: 'GET',
      pattern: '/subscribers',
      rate: 'query',
      auth: true,
      handler: (info, reply) => {
        const limitText = queryMap(info.query).get('limit') || '100';
        const limit = Number(limitText);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          const message = `must be an integer from 1 to 1000 (got ${preview(limitText)})`;
          throw validationError([{ field: 'limit', message }], 'query');
        }
        const listing = pipeline.subscribers(limit);
        reply.json(200, {
          ...listing,
          subscribers: listing.subscribers.map((row) => ({
            ...row,
            connected_at: formatTimestamp(row.connected_at),
            last_activity: formatTimestamp(row.last_activity),
          })),
        });
      },
    },
  ];
}
