import type { Child, SupervisorEvent } from './supervisorEvent.js';

/**
 * The actor id every subscriber actor shares (its own id is in its context). Hint: xstate keeps a state node's
 * transitions per event type for the life of the machine, and a child's end reaches its parent as
 * `xstate.done.actor.<actor id>`: an id per connection kept about 0.5 KB for every connection ever made.
 */
export const SUBSCRIBER_ACTOR_ID = 'subscriber';

/** A subscriber actor an end or failure event is about, with the error it failed with (undefined when it ended). */
export interface EndedSubscriber {
  readonly id: string;
  readonly child: Child;
  readonly error: unknown;
}

/**
 * The subscribers a child's end or failure event is about: an end names its subscriber in its output; a failure
 * does not, so the failed ones are found by their snapshots (failures are rare; ends come with every connection).
 */
export function endedSubscribers(children: ReadonlyMap<string, Child>, event: SupervisorEvent): EndedSubscriber[] {
  if (event.type === `xstate.done.actor.${SUBSCRIBER_ACTOR_ID}`) {
    const child = children.get(event.output);
    return child === undefined ? [] : [{ id: event.output, child, error: undefined }];
  }
  const failed: EndedSubscriber[] = [];
  for (const [id, child] of children) {
    const snapshot = child.ref.getSnapshot();
    if (snapshot.status === 'error') failed.push({ id, child, error: snapshot.error });
  }
  return failed;
}
