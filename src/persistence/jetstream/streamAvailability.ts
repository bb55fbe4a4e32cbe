/**
 * How long the stream must have had no leader, or JetStream must have failed to answer about it, before /readiness
 * says so. Hint: a stream leader failover pauses publishing for 4-8 s (measured), so a node goes unready in a long
 * one, and at once in a lasting outage (no quorum), where it used to stay ready for as long as it lasted.
 */
export const UNAVAILABLE_MS = 5_000;

/** A follower heard from within this long (its `active`, in ns) counts towards the stream's quorum. */
export const HEARD_NS = 5_000_000_000;

/**
 * After an outage /readiness reported, the stream counts as usable again only once its answers have shown a leader
 * with a quorum of followers heard within RECOVERY_HEARD_NS for RECOVERY_MS. Hint: right after two killed servers
 * came back (killed 3 s before, a probe), a leader answered with both followers current and heard 3.1 s before
 * while a publish timed out; a CI run got 503 for the first publish after /readiness turned 200 (clusterQuorum).
 */
export const RECOVERY_HEARD_NS = 1_000_000_000;
export const RECOVERY_MS = 1_000;

/** The part of a stream info answer that says whether the stream has a leader (absent on a server not clustered). */
export interface LeaderInfo {
  readonly cluster?: {
    readonly name?: string;
    readonly leader?: string;
    readonly replicas?: readonly { readonly active: number; readonly offline?: boolean }[];
  };
  readonly config: { readonly num_replicas: number };
}

/**
 * True when the answer shows no leader, or a leader that has not heard from enough followers for a quorum. Hint: a
 * leader whose two followers were killed kept answering as leader for about 20 s (nats-server 2.9.10, measured), its
 * followers' `active` growing all the while, before it stepped down.
 */
function withoutQuorum(info: LeaderInfo, within = HEARD_NS): boolean {
  const cluster = info.cluster;
  if (cluster?.name === undefined) return false;
  if (!cluster.leader) return true;
  const heard = (cluster.replicas ?? []).filter((peer) => !peer.offline && peer.active < within).length;
  return 1 + heard < Math.floor(info.config.num_replicas / 2) + 1;
}

/**
 * Whether this node can use its stream now, from the stream state it asks for every second. Why: with two of three
 * servers down, the survivor answers stream info from its own copy with no leader (or JetStream answers "system
 * temporarily unavailable", or nothing), so no publish can be acked; nodes said ready throughout unless their own
 * publishes kept failing, and ready again 30 s after the last failure, cluster back or not.
 */
export class StreamAvailability {
  private since: number | null = null;
  /** Since when answers have shown the stream usable again after a reported outage (see RECOVERY_MS). */
  private usableSince: number | null = null;
  private why = '';
  private told = false;

  constructor(
    private readonly stream: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The stream answered with its state: usable when it has a leader (or the server is not clustered). */
  answered(info: LeaderInfo): void {
    const reported = this.problem !== null;
    if (!withoutQuorum(info, reported ? RECOVERY_HEARD_NS : HEARD_NS)) {
      // Hint: before an outage is reported, one answer with a quorum starts its grace again, as it always did.
      this.usableSince ??= this.now();
      if (!reported || this.now() - this.usableSince >= RECOVERY_MS) this.since = this.usableSince = null;
      return;
    }
    this.trouble(
      `stream ${this.stream} has no leader with a quorum (fewer than a majority of its ${info.config.num_replicas} ` +
        'servers are up and connected); publishes cannot be acknowledged, reads are served',
    );
  }

  /** A request about the stream got no answer, or JetStream's refusal (not "stream not found": see StreamPresence). */
  failed(reason: string): void {
    this.trouble(
      `JetStream does not answer about stream ${this.stream} (${reason}): the cluster may have lost its quorum; ` +
        'publishes cannot be acknowledged, reads are served',
    );
  }

  /** Why the stream cannot be used now (for UNAVAILABLE_MS at least), or null. */
  get problem(): string | null {
    if (this.since === null || this.now() - this.since < UNAVAILABLE_MS) return null;
    const seconds = Math.round((this.now() - this.since) / 1_000);
    return `${this.why} (for ${seconds} s)`;
  }

  /**
   * A line for the log when the stream became unusable or usable again; null when neither. Hint: one line per outage,
   * whatever mix of reasons it shows (timeouts, then a leaderless answer, were seen in turn during one).
   */
  change(): string | null {
    const unusable = this.problem !== null;
    if (unusable === this.told) return null;
    this.told = unusable;
    return unusable ? this.why : `stream ${this.stream} answers with a leader again; publishes can be acknowledged`;
  }

  private trouble(why: string): void {
    this.usableSince = null;
    this.since ??= this.now();
    this.why = why;
  }
}
