import { type ConsumerMessages, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { ConsumerNotices, consumerFailureReason } from './consumerNotices.js';
import { messageHeaders } from './eventMessage.js';
import { GapNotices } from './gapNotices.js';
import { readFromLeader } from './leaderReads.js';
import type { ReplicaApplierOptions } from './replicaApplierOptions.js';
import { StreamAvailability } from './streamAvailability.js';
import { type FollowParts, fillGap, followFirst } from './streamFollow.js';
import { identityChange } from './streamIdentity.js';
import { StreamPresence } from './streamPresence.js';

const FOLLOW_MS = 1_000;
const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Consumes the stream in order into the replica, from the replica's head + 1. It uses an ordered consumer and
 * recreates it (from the last applied sequence + 1) whenever it fails, misses two heartbeats, or the connection
 * comes back.
 *
 * Hint: measured with client 3.4.0 and server 2.9.10, an ordered consumer can loop forever when the server hosting
 * it dies; recreating it from our own position is the reliable way out, and cheap (messages are applied once: the
 * sink skips what it already has).
 */
export class ReplicaApplier {
  private current: ConsumerMessages | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private fetching = false;
  private followTimer: NodeJS.Timeout | null = null;
  /** What following the stream's first sequence and filling a skipped gap need (streamFollow). */
  private readonly followParts: FollowParts;
  /** Why this node stopped applying: its stream was deleted and made again (a new log), or null. */
  replaced: string | null = null;
  /** Whether the stream can still hold the log (an operator may delete or change it under running nodes). */
  private readonly presence: StreamPresence;
  /** Whether the stream has a leader and JetStream answers about it (see StreamAvailability). */
  private readonly availability: StreamAvailability;
  /** What the consumer's failures were told as, and the one going on (readiness names it). */
  readonly consumerNotices: ConsumerNotices;

  constructor(private readonly options: ReplicaApplierOptions) {
    const now = options.now ?? Date.now;
    this.presence = new StreamPresence(options.stream, now);
    this.availability = new StreamAvailability(options.stream, now);
    this.consumerNotices = new ConsumerNotices(now);
    this.followParts = { options, gaps: new GapNotices(), running: () => !this.stopped };
  }

  /** Why the stream cannot be used now (no leader, or JetStream does not answer, for a while); else null. */
  get unavailable(): string | null {
    return this.availability.problem;
  }

  /** Why this node refuses publishes: its stream was made again, is missing, cannot hold the log or is behind it. */
  get refusal(): string | null {
    return this.replaced ?? this.presence.problem ?? this.options.ahead?.confirmed ?? this.options.sink.refusal ?? null;
  }

  /**
   * Why a publish is refused, once an answer below the replica's head is confirmed or cleared (ReplicaAhead.settle:
   * the stream is asked again meanwhile); null when it may be published.
   */
  async publishRefusal(): Promise<string | null> {
    const waited =
      (await this.options.ahead?.settle(
        () => this.askStream(true),
        () => !this.stopped,
      )) ?? null;
    return this.refusal ?? waited;
  }

  /** Start consuming; resolves at once (the loop runs until stop). */
  start(): void {
    this.running ??= this.loop();
    // Hint: a purge or a limit with no message after it shows only in the stream's state, so that is watched too.
    this.followTimer ??= setInterval(() => void this.followStream(true), this.options.followMs ?? FOLLOW_MS);
  }

  /** Drop the current consumer and make a new one from the replica's position (after a reconnect, say). */
  restart(): void {
    this.current?.stop();
  }

  /**
   * Read the stream by sequence up to `upTo` (a sequence known to be stored: it was acked), in the background.
   *
   * Hint: why publishing once stalled for 30 s after a leader kill (test/clusterFailover.test.ts, on main): making a
   * consumer needs JetStream's meta leader, a PubAck only the stream's leader. When the killed server was also the
   * meta leader, and more so when the previous victim was still catching up, the meta group stayed unavailable for
   * 15-20 s ("JetStream system temporarily unavailable") while publishes were acked again; no node could recreate its
   * consumer, so the acked commits were never applied and every publish timed out waiting for its own replica.
   * STREAM.MSG.GET is answered by the stream leader, so whatever can be acked can be read this way.
   */
  catchUp(upTo: number): void {
    if (this.fetching || this.stopped) return;
    this.fetching = true;
    const parts = { options: this.options, running: () => !this.stopped, followStream: () => this.followStream() };
    void readFromLeader(parts, upTo).finally(() => {
      this.fetching = false;
    });
  }

  /** Ask the stream for its first sequence and follow it; false when the stream did not answer. */
  async followStream(quiet = false): Promise<boolean> {
    return (await this.askStream(quiet)) === null;
  }

  /** As followStream, answering what the request failed with when the stream did not answer (null when it did). */
  async askStream(quiet = false): Promise<Error | null> {
    // Hint: the head before asking: what the replica applied by then, the stream held by then.
    const held = this.options.sink.nextSeq() - 1;
    try {
      const info = await this.options.jsm.streams.info(this.options.stream);
      if (this.stopped) return null;
      const origin = this.options.origin;
      const change = origin === undefined ? null : identityChange(origin, info);
      if (change?.kind === 'remade') {
        this.stopAsReplaced(change.epoch);
        return null;
      }
      this.presence.answered(info.config, change?.kind === 'described' ? change.problem : null);
      this.availability.answered(info);
      this.options.ahead?.observe(held, info);
      this.tell();
      this.options.sink.noteLast(info.state.last_seq);
      await followFirst(this.options, info);
      return null;
    } catch (error) {
      const missing = this.presence.failed(error);
      if (!missing) this.availability.failed(reasonOf(error));
      if (!this.stopped && !quiet && !missing)
        this.options.onNotice(`replica feed: stream info failed: ${reasonOf(error)}`);
      this.tell();
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Log what the stream's presence now says, when that changed. */
  private tell(): void {
    for (const line of [this.presence.change(), this.availability.change(), this.options.ahead?.change() ?? null])
      if (line !== null) this.options.onNotice(line);
  }

  /**
   * The stream was deleted and made again: its sequences are another log's, so none may be applied over this one.
   * Hint: checked before every consumer is made (a deleted stream ends the old one) and every second; a restart
   * rebuilds the replica from the new stream (openReplica), which a running node cannot do under its readers.
   */
  private stopAsReplaced(epoch: string): void {
    const was = this.options.origin?.epoch;
    this.replaced =
      `stream ${this.options.stream} was deleted and made again (epoch ${was} → ${epoch}): this node ` +
      'stopped applying it and refuses publishes; restart it to rebuild its replica (reads serve the old log until then)';
    this.options.onNotice(this.replaced);
    void this.stop();
  }

  /** Stop consuming; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.followTimer !== null) clearInterval(this.followTimer);
    this.current?.stop();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.consumeOnce();
      } catch (error) {
        // Hint: a missing stream is told once (see StreamPresence), not at every retry; the rest are counted.
        const line =
          this.stopped || this.presence.failed(error)
            ? null
            : this.consumerNotices.failed(consumerFailureReason(reasonOf(error), this.options.stream));
        if (line !== null) this.options.onNotice(line);
      }
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 250));
    }
  }

  private async consumeOnce(): Promise<void> {
    const { js, stream, sink } = this.options;
    // Hint: a replica stopped at a message of another layout takes nothing more: no consumer to make and drop.
    if (sink.refusal) return;
    await this.followStream(true);
    const consumer = await js.consumers.get(stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: sink.nextSeq(),
    });
    if (this.stopped) return;
    const messages = await consumer.consume({ max_messages: 2_000, idle_heartbeat: 500, expires: 5_000 });
    this.current = messages;
    const recovered = this.consumerNotices.recovered();
    if (recovered !== null) this.options.onNotice(recovered);
    void this.watch(messages);
    let skippedTo: number | null = null;
    try {
      for await (const message of messages) {
        if (message.seq > sink.nextSeq()) {
          skippedTo = message.seq;
          break;
        }
        this.deliver(message);
      }
    } finally {
      this.current = null;
      messages.stop();
    }
    if (skippedTo !== null) await fillGap(this.followParts, skippedTo);
  }

  private deliver(message: JsMsg): void {
    const { msgId, floor } = messageHeaders(message.headers);
    this.options.sink.noteLast(message.seq + message.info.pending);
    this.options.sink.apply(message.seq, msgId, message.data, floor);
  }

  /** Two missed heartbeats end this consumer (the loop makes a new one). */
  private async watch(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      if (status.type === 'heartbeats_missed' && status.count >= 2) {
        messages.stop();
        return;
      }
    }
  }
}
