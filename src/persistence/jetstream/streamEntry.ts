import type { ReplicaEntry } from '../sqliteReplicaLog.js';
import { decodeEvent, OtherLayoutError } from './eventMessage.js';

/** A stream message waiting to be applied (with its floor), or a sequence the stream says holds nothing. */
export type Buffered =
  | { readonly seq: number; readonly data: Uint8Array; readonly floor: number }
  | { readonly seq: number; readonly reason: string };

const decoder = new TextDecoder();

/**
 * A stream message as a replica entry (its event, or a no-op naming why it is not one) and its floor (1 if none), or
 * the layout of another version of this pipeline it is in.
 */
export function entryOf(message: Buffered): { entry: ReplicaEntry; floor: number } | { otherLayout: string } {
  const { seq } = message;
  if ('reason' in message) return { entry: { kind: 'noop', offset: seq, reason: message.reason }, floor: 1 };
  try {
    const { ts, producer, input } = decodeEvent(decoder.decode(message.data));
    return { entry: { kind: 'event', offset: seq, ts, producer, input }, floor: message.floor };
  } catch (error) {
    if (error instanceof OtherLayoutError) return { otherLayout: error.message };
    const reason = `not an event message (${error instanceof Error ? error.message : error})`;
    return { entry: { kind: 'noop', offset: seq, reason }, floor: 1 };
  }
}

/** Why a replica stops at `seq`, a message of another version's layout (`why`): applying past it would lose its event. */
export function otherLayoutRefusal(seq: number, why: string): string {
  return (
    `stream message ${seq} was written by another version of the event pipeline (${why}): this node applies ` +
    `nothing from offset ${seq} on and refuses publishes; run one build on every node (README: "Upgrading a cluster")`
  );
}
