import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EventInput } from '../../protocol/eventInput.js';
import { type GroupOutcome, type LogHealth, LogWriteError } from '../eventLog.js';
import type { SqliteReplicaLog } from '../sqliteReplicaLog.js';
import { ApplyStall } from './applyStall.js';
import { type CommitPlan, planCommit, resolveCommit } from './commitPlan.js';
import { CommitStreak } from './commitStreak.js';
import { type EventMessage, encodeEvent } from './eventMessage.js';
import { IdCheckFailures } from './idCheckFailures.js';
import type { PurgeMarks } from './purgeMarks.js';
import type { ReplicaApplier } from './replicaApplier.js';
import type { ReplicaAudit } from './replicaAudit.js';
import type { ReplicaFeed } from './replicaFeed.js';
import type { PubAck, StreamPublisher } from './streamPublisher.js';
import { StreamRetention } from './streamRetention.js';

/** A node's connection to the stream and its replica. */
export interface WriteParts {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly replica: SqliteReplicaLog;
  readonly feed: ReplicaFeed;
  readonly applier: ReplicaApplier;
  readonly publisher: StreamPublisher;
  readonly audit: ReplicaAudit;
  readonly marks: PurgeMarks;
}

/** How long a commit waits, after its PubAcks, for this node's replica to apply anything more. */
const APPLY_TIMEOUT_MS = 10_000;
/** A replica that applied nothing for this long while behind an acked sequence is helped along. */
const STALL_MS = 500;

/**
 * The cluster log's writes: commits (planned against the replica, one message per event, resolved once this replica
 * applied them) and retention (the stream is purged first, then this replica deletes below the same sequence).
 */
export class ClusterWrites {
  /** The highest sequence acked to this node: the replica must get there. */
  private ackedUpTo = 0;
  private seen = 0;
  private stalledTicks = 0;
  private readonly applyStall = new ApplyStall();
  private readonly stallTimer: NodeJS.Timeout;
  /** DELETE /events: the stream's purge first, then this replica's delete (see StreamRetention). */
  readonly retention: StreamRetention;
  /** Producer ids of commits in flight, and when each such commit is over (settled either way). */
  private readonly producing = new Map<string, Promise<void>>();
  /** Commits that failed in a row (see health). */
  private readonly streak: CommitStreak;
  private readonly idChecks: IdCheckFailures;

  constructor(
    private readonly parts: WriteParts,
    stream: string,
    private readonly now: () => number,
    private readonly newId: () => string,
    onNotice: (message: string) => void,
  ) {
    this.retention = new StreamRetention(parts.jsm, stream, parts.replica, parts.feed, parts.marks);
    this.streak = new CommitStreak(now);
    this.idChecks = new IdCheckFailures(onNotice, now);
    this.stallTimer = setInterval(() => this.checkStall(), STALL_MS);
    this.stallTimer.unref();
  }

  /**
   * One commit; several may run at once (GroupCommit's maxInFlight). A commit that shares a producer id with one
   * still in flight plans after that one finished, so it sees its record in the replica exactly as if the commits
   * had run one at a time (a resend answered with the original, other content 409, before anything is published).
   * Ids are generated at entry, so an injected id source is used in commit order whatever waits.
   */
  commit(groups: readonly (readonly EventInput[])[]): Promise<GroupOutcome[]> {
    const ids = groups.map((group) => group.map((input) => input.id ?? this.newId()));
    const producerIds = new Set<string>();
    const earlier = new Set<Promise<unknown>>();
    for (const group of groups)
      for (const input of group) {
        if (input.id === null) continue;
        producerIds.add(input.id);
        const running = this.producing.get(input.id);
        if (running !== undefined) earlier.add(running);
      }
    const result =
      earlier.size === 0
        ? this.publishCommit(groups, ids)
        : Promise.allSettled(earlier).then(() => this.publishCommit(groups, ids));
    void result.then(
      () => this.streak.succeeded(),
      (error: unknown) => this.streak.failed(error),
    );
    if (producerIds.size === 0) return result;
    const done = result.then(
      () => undefined,
      () => undefined,
    );
    for (const id of producerIds) this.producing.set(id, done);
    void done.then(() => {
      for (const id of producerIds) if (this.producing.get(id) === done) this.producing.delete(id);
    });
    return result;
  }

  private async publishCommit(
    groups: readonly (readonly EventInput[])[],
    ids: readonly (readonly string[])[],
  ): Promise<GroupOutcome[]> {
    const { replica, feed, applier } = this.parts;
    // Hint: an answer below the replica's head is confirmed or cleared first (ReplicaAhead); nothing is sent before.
    const refused = await applier.publishRefusal();
    if (refused !== null) throw new LogWriteError(refused, { refusal: true });
    const stored = (id: string) => replica.getById(id);
    const plan = await this.planOnStream(groups, ids);
    if (plan.messages.length === 0) return resolveCommit(plan, [], stored);
    // Hint: a floor deletes on every replica, so it never passes what this one may delete (see PurgeMarks).
    const floor = Math.min(replica.keptFrom(), feed.permitted());
    // Hint: a 503 here may follow a partial publish (some events acked): producers retry with ids for exactly-once.
    const acks = await Promise.all(plan.messages.map((m) => this.publish(m, floor)));
    for (const ack of acks) if (ack.seq > this.ackedUpTo) this.ackedUpTo = ack.seq;
    // Hint: the wait ends only when the replica stops applying, not at a fixed time: a node catching up at start took
    // 14 s to reach a publish the stream had acked, and its producer was told "may be in the log, retry".
    const applied = await whileApplying(
      Promise.all(acks.map((ack) => feed.expect(ack.seq))),
      () => feed.appliedSeq,
      APPLY_TIMEOUT_MS,
      () =>
        new LogWriteError('committed to the stream but not yet applied on this node; retry with ids', {
          uncertain: true,
        }),
    );
    return resolveCommit(
      plan,
      acks.map((ack, i) => ({ duplicate: ack.duplicate, applied: applied[i]! })),
      stored,
    );
  }

  /**
   * Plan against the replica. Hint: a producer id the replica answers (duplicate or conflict) may be in a record the
   * stream has purged since (purges made elsewhere are followed about once a second), so this node then follows the
   * stream's first sequence at once and plans again: no node answers with a record that is in no log.
   */
  private async planOnStream(groups: readonly (readonly EventInput[])[], ids: readonly (readonly string[])[]) {
    const { replica, applier } = this.parts;
    const stored = (id: string) => replica.getById(id);
    const ts = this.now();
    const plan = planCommit(groups, ts, stored, idsInOrder(groups, ids));
    if (!answersFromReplica(plan)) return plan;
    const failure = await applier.askStream(true);
    if (failure !== null) throw this.idChecks.refusal(failure);
    this.idChecks.answered();
    const refused = await applier.publishRefusal();
    if (refused !== null) throw new LogWriteError(refused, { refusal: true });
    return planCommit(groups, ts, stored, idsInOrder(groups, ids));
  }

  /**
   * Publish one message, carrying its floor: this replica's first offset, or the recorded cut when that is lower (see
   * FLOOR_HEADER, PurgeMarks). Hint: JetStream dedupes a Nats-Msg-Id for its whole window, purged or not; a producer id
   * it answers with an offset below the floor is free again (as in embedded mode) and is published once more as
   * `<id>@<floor>` ("@" is in no producer id), the same name on every node that followed the same purge, so the
   * stream dedupes those too.
   */
  private async publish(message: EventMessage, floor: number): Promise<PubAck> {
    const { publisher } = this.parts;
    const ack = await publisher.publish(message.input.id, encodeEvent(message), floor);
    if (!message.producer || !ack.duplicate || ack.seq >= floor) return ack;
    return publisher.publish(`${message.input.id}@${floor}`, encodeEvent(message), floor);
  }

  close(): void {
    clearInterval(this.stallTimer);
    this.parts.audit.stop();
  }

  /**
   * The node's health: `replica`'s, unless the replica differs from the stream (ReplicaAudit), applies nothing while
   * behind it (ApplyStall), or commits keep failing (CommitStreak).
   */
  health(replica: () => LogHealth): LogHealth {
    const reason =
      this.parts.audit.divergence ?? this.applyStall.problem(this.now(), this.parts.applier.consumerNotices.cause);
    if (reason !== null) return { writable: false, reason };
    return this.streak.health(replica);
  }

  /**
   * An acked sequence this replica does not reach: read it from the stream leader (no consumer can be made while
   * JetStream's meta leader is away), and after a second stalled tick recreate the consumer (it may be stuck).
   */
  private checkStall(): void {
    const { feed, applier } = this.parts;
    const applied = feed.appliedSeq;
    this.applyStall.sample(applied, feed.knownHead(), this.now());
    if (applied >= this.ackedUpTo || applied !== this.seen) {
      this.seen = applied;
      this.stalledTicks = 0;
      return;
    }
    this.stalledTicks++;
    applier.catchUp(this.ackedUpTo);
    if (this.stalledTicks % 2 === 0) applier.restart();
  }
}

/** True when the replica decided some producer id of the plan (a duplicate answered, or a conflict refused). */
function answersFromReplica(plan: CommitPlan): boolean {
  return plan.groups.some((group) => !group.ok || group.slots.some((slot) => slot.kind === 'stored'));
}

/** The generated ids, handed to planCommit in the order it asks for them (its id-less inputs, in order). */
function idsInOrder(groups: readonly (readonly EventInput[])[], ids: readonly (readonly string[])[]): () => string {
  const generated: string[] = [];
  groups.forEach((group, g) => {
    group.forEach((input, i) => {
      if (input.id === null) generated.push(ids[g]![i]!);
    });
  });
  let next = 0;
  return () => generated[next++]!;
}

/** `promise`, or a rejection with `onTimeout()` after `ms`. */
/** `promise`, or `onTimeout()` once `progress()` stood still for `idleMs` before it settled. */
export function whileApplying<T>(
  promise: Promise<T>,
  progress: () => number,
  idleMs: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    let seen = progress();
    const check = () => {
      const now = progress();
      if (now === seen) return reject(onTimeout());
      seen = now;
      timer = setTimeout(check, idleMs);
    };
    timer = setTimeout(check, idleMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
