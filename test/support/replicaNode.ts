import { encodeEvent } from '../../src/persistence/jetstream/eventMessage.js';
import { SqliteReplicaLog } from '../../src/persistence/sqliteReplicaLog.js';
import type { EventInput } from '../../src/protocol/eventInput.js';

const encoder = new TextEncoder();

/**
 * The stream message a node publishes for the event at `seq`: timestamp `seq`, id `g<seq>` (the publisher's) unless
 * `fields` gives one, a `quiz_started` from source `s` with no session or user and `{}` as payload unless given.
 * `producer`: the id is the producer's (first write wins).
 */
export function streamEvent(
  seq: number,
  fields: Partial<EventInput> & { readonly id?: string } = {},
  producer = false,
): Uint8Array {
  const input = {
    id: `g${seq}`,
    event_type: 'quiz_started',
    source: 's',
    session_id: null,
    user_id: null,
    payloadJson: '{}',
    ...fields,
  } as const;
  return encoder.encode(encodeEvent({ ts: seq, producer, input }));
}

/** A replica on `path` as a node opens one in tests (clock at 0, one epoch, the inline indexer). */
export function openReplica(path: string): SqliteReplicaLog {
  return new SqliteReplicaLog({ path, now: () => 0, newId: () => 'unused', newEpoch: () => 'e1', indexer: 'inline' });
}
