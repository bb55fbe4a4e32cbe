import type { StreamInfo } from '@nats-io/jetstream';
import { messageHeaders } from './eventMessage.js';
import type { GapNotices } from './gapNotices.js';
import type { ReplicaApplierOptions } from './replicaApplierOptions.js';
import { hasLimits } from './streamChecks.js';

/** A message read by sequence (StoredMsg has it). */
export interface StreamMessage {
  readonly seq: number;
  readonly header?: { get(name: string): string };
  readonly data: Uint8Array;
}

/** What a gap fill reads of the stream (JetStreamManager has it): its state, and single messages from its leader. */
export interface StreamReads {
  readonly streams: {
    info(stream: string, options: { deleted_details: boolean }): Promise<StreamInfo>;
    getMessage(stream: string, query: { seq: number }): Promise<StreamMessage | null>;
  };
}

/** What following the stream needs of the applier. */
export interface FollowParts {
  readonly options: Pick<ReplicaApplierOptions, 'stream' | 'sink' | 'onNotice' | 'marks'> & {
    readonly jsm: StreamReads;
  };
  readonly gaps: GapNotices;
  /** False once the applier stopped. */
  readonly running: () => boolean;
}

/**
 * Follow the stream's first sequence as `info` gives it: the replica deletes below it only as far as a recorded purge
 * (PurgeMarks), asked for when the first sequence passed what is allowed. A stream with age or size limits drops
 * messages without a mark, so there every first sequence is followed. Hint: the mark is read after the stream's
 * state, and a purge is recorded before it is made, so a purge seen here is always found recorded. When the mark
 * cannot be read, nothing is followed until a later ask.
 */
export async function followFirst(
  options: Pick<ReplicaApplierOptions, 'sink' | 'marks'>,
  info: StreamInfo,
): Promise<void> {
  const { sink, marks } = options;
  const first = info.state.first_seq;
  const asked = sink.permitted !== undefined && first > sink.permitted();
  if (asked) {
    const limited = hasLimits(info.config);
    // Hint: what a limit dropped is recorded too, so a node that keeps events past a limit lifted later does not take
    // the drop for a loss (one write per node each time the first sequence moves; a mark only rises).
    if (limited) void marks?.raise?.(first).catch(() => undefined);
    const cut = marks === undefined || limited ? first : await marks.read();
    // Hint: no mark, no follow: a replica holding nothing there would pass its permit and publish a floor below a
    // purge another node has not followed yet, which would then decide a republished id otherwise.
    if (cut === null) return;
    sink.allow?.(cut);
  }
  sink.follow(first);
  // Hint: also when not asked, so the figures of a loss a recorded purge has reached since are dropped.
  sink.tellUnmarked?.(first);
}

/**
 * The consumer skipped from the replica's next sequence to `to`. Only the stream's word makes that a gap: below its
 * first sequence (a purge or a limit) the replica follows; a message deleted on its own is a recorded no-op; anything
 * else is read from the stream leader, and when the leader has no such message either, the replica waits (the
 * consumer is made again from the same sequence) and says so, instead of skipping an offset other nodes may hold.
 *
 * Hint: seen with nats-server 2.9.10 after kill -9 and restarts: a server caught up on an empty store lacked the
 * stream's first 5,390 messages and its consumer started at 5,391; the replica took the jump for a purge, deleted
 * nothing (it was new) and served a log without them while the other nodes had all of them.
 */
export async function fillGap(parts: FollowParts, to: number): Promise<void> {
  const { jsm, stream, sink, onNotice } = parts.options;
  const info = await jsm.streams.info(stream, { deleted_details: true });
  sink.noteLast(info.state.last_seq);
  await followFirst(parts.options, info);
  const deleted = new Set(info.state.deleted ?? []);
  // Hint: a sink that takes nothing (a replica stopped at a message of another layout) or goes back (a batch it
  // could not apply: the consumer starts again from its head) ends the fill. Before, the loop
  // asked for the same sequence for good: with it in the deleted list (`nats stream rmm`), with no await, so every
  // node's only thread spun, answering no request and no SIGTERM, until kill -9.
  for (let seq = sink.nextSeq(); parts.running() && seq < to; seq = sink.nextSeq()) {
    if (deleted.has(seq)) {
      sink.skip(seq, 'deleted from the stream');
      if (sink.nextSeq() <= seq) return;
      continue;
    }
    const message = await jsm.streams.getMessage(stream, { seq });
    if (message === null || message.seq !== seq) {
      const said = parts.gaps.decide(seq);
      if (said !== 'quiet')
        onNotice(
          `replica feed: ${said === 'still' ? 'still waiting: ' : ''}the consumer skipped sequences ${seq}-${to - 1}, ` +
            `which the stream (first ${info.state.first_seq}) neither deleted nor serves from its leader; waiting for them`,
        );
      return;
    }
    const { msgId, floor } = messageHeaders(message.header);
    sink.apply(message.seq, msgId, message.data, floor);
    if (sink.nextSeq() <= seq) return;
  }
}
