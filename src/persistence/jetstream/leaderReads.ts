import { messageHeaders } from './eventMessage.js';
import type { ReplicaApplierOptions } from './replicaApplierOptions.js';
import type { StreamMessage, StreamReads } from './streamFollow.js';

/** What reading from the stream leader needs of the applier. */
export interface LeaderReadParts {
  readonly options: Pick<ReplicaApplierOptions, 'stream' | 'sink' | 'onNotice'> & { readonly jsm: StreamReads };
  /** False once the applier stopped. */
  readonly running: () => boolean;
  /** Follow the stream's first sequence (ReplicaApplier.followStream); false when the stream did not answer. */
  readonly followStream: () => Promise<boolean>;
}

/**
 * Apply the stream's messages from the replica's next sequence up to `upTo` (acked, so stored), read one by one with
 * STREAM.MSG.GET, which the stream leader answers without JetStream's meta leader (see ReplicaApplier.catchUp).
 */
export async function readFromLeader(parts: LeaderReadParts, upTo: number): Promise<void> {
  const { jsm, stream, sink, onNotice } = parts.options;
  while (parts.running() && sink.nextSeq() <= upTo) {
    const seq = sink.nextSeq();
    let message: StreamMessage | null;
    try {
      message = await jsm.streams.getMessage(stream, { seq });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      onNotice(`replica feed: reading sequence ${seq} from the stream leader failed: ${reason}`);
      return;
    }
    if (message === null) {
      // Hint: purged, or not stored yet: follow the stream's first sequence, else leave the rest to the consumer.
      if (!(await parts.followStream()) || sink.nextSeq() <= seq) return;
      continue;
    }
    if (message.seq < sink.nextSeq()) return;
    const { msgId, floor } = messageHeaders(message.header);
    sink.apply(message.seq, msgId, message.data, floor);
    // Hint: a replica stopped at a message of another layout takes nothing (or one that failed to apply goes back):
    // asking again would never end.
    if (sink.nextSeq() <= seq) return;
  }
}
