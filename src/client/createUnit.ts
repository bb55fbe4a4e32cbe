import { type Unit, withId } from './publishBatcher.js';
import type { PublishAck, PublishEvent } from './types.js';

/** Serialize `events` once, each with its producer id (its own or a new one), into a unit due by `deadline`. */
export function createUnit(
  events: readonly PublishEvent[],
  newId: () => string,
  deadline: number,
  resolve: (acks: PublishAck[]) => void,
  reject: (error: Error) => void,
): Unit {
  const ids = events.map((event) => event.id ?? newId());
  const texts = events.map((event, i) =>
    event.id !== undefined ? JSON.stringify(event) : withId(JSON.stringify(event), ids[i]!),
  );
  return {
    events: texts,
    ids,
    bytes: texts.reduce((sum, text) => sum + text.length + 1, 0),
    solo: false,
    deadline,
    resolve,
    reject,
  };
}
