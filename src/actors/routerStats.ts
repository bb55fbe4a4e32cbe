import type { RouterStats } from './pipelinePort.js';
import type { SupervisorContext } from './supervisorEvent.js';

/** /stats `router`: the supervisor's children counted by mode, and its counters. */
export function routerStats({ children, parts }: SupervisorContext): RouterStats {
  let lagging = 0;
  let replaying = 0;
  for (const child of children.values()) {
    const mode = child.ref.getSnapshot().value;
    if (mode === 'lagging') lagging++;
    else if (mode === 'replaying') replaying++;
  }
  const { counters, sessions, ingress } = parts;
  return {
    active_subscribers: children.size,
    lagging_subscribers: lagging,
    replaying_subscribers: replaying,
    active_sessions: sessions.size,
    publishers: counters.publishers,
    events_delivered: counters.delivered,
    events_routed: counters.routed,
    group_commits: ingress.commits,
    queue_size: ingress.queued,
    queue_bytes: ingress.queuedBytes,
  };
}
