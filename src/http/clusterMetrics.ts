import { Gauge, type Registry } from 'prom-client';

/**
 * What /metrics shows of a cluster node (LOG_BACKEND=jetstream), read at scrape time from what the node already knows:
 * a scrape sends nothing to NATS (the stream's state is asked for every second anyway, see ReplicaApplier).
 */
export interface ClusterFigures {
  /** False from a disconnect until the client reconnected. */
  readonly natsConnected: boolean;
  /** The server the node is connected to, `host:port` (while disconnected: the one it lost). */
  readonly natsServer: string;
  /** Why the stream cannot take publishes now, as /readiness says it (no leader with a quorum, missing, …), or null. */
  readonly streamProblem: string | null;
  /** The stream's last sequence as last seen, minus the last sequence this node's replica applied. */
  readonly replicaLag: number;
  /**
   * The first difference the audit found between the replica and the stream leader (see ReplicaAudit), or why the
   * replica holds offsets beyond the stream's last sequence (ReplicaAhead, once confirmed), or null.
   */
  readonly divergence: string | null;
  /** The last offset the audit's current pass checked. */
  readonly auditedUpTo: number;
  /** Offsets the stream lost without a recorded purge, and the events this replica keeps of them (UnmarkedLosses). */
  readonly lostWithoutPurge: { readonly from: number; readonly to: number; readonly kept: number } | null;
}

/** The cluster gauges; registered on a cluster node only, so they are absent from an embedded server's /metrics. */
export function registerClusterMetrics(registers: Registry[], read: () => ClusterFigures): void {
  new Gauge({
    name: 'pipeline_nats_connected',
    help: '1 while the NATS connection is up, else 0; server: the NATS server it is on (while 0, the one it lost)',
    labelNames: ['server'],
    registers,
    collect() {
      const { natsConnected, natsServer } = read();
      // Hint: one series at a time. The client moves among the servers of NATS_URL and those they advertise (a
      // bounded set), and a series kept for a server it left would go on saying 1.
      this.reset();
      this.set({ server: natsServer }, natsConnected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'pipeline_nats_stream_usable',
    help: '1 while the stream can take publishes as /readiness judges it, else 0 (no leader with a quorum or no answer for 5 s, missing, changed, made again, or behind this replica)',
    registers,
    collect() {
      this.set(read().streamProblem === null ? 1 : 0);
    },
  });
  new Gauge({
    name: 'pipeline_replica_lag_offsets',
    help: "The stream's last sequence as last seen (asked every second) minus the last one this node's replica applied",
    registers,
    collect() {
      this.set(read().replicaLag);
    },
  });
  new Gauge({
    name: 'pipeline_replica_divergent',
    help: "1 once this node's replica was found to differ from what the stream leader serves at some offset, or to hold offsets beyond the stream's last sequence for 3 s (its reads are not the cluster's log; /readiness names the offsets), else 0",
    registers,
    collect() {
      this.set(read().divergence === null ? 0 : 1);
    },
  });
  new Gauge({
    name: 'pipeline_stream_lost_offsets',
    help: 'Offsets the stream lost without a purge this pipeline recorded: its first sequence passed the last cut DELETE /events recorded (a NATS server fault, or a purge made outside the pipeline; /stats lost_without_purge names them), else 0',
    registers,
    collect() {
      const lost = read().lostWithoutPurge;
      this.set(lost === null ? 0 : lost.to - lost.from + 1);
    },
  });
  new Gauge({
    name: 'pipeline_replica_kept_lost_events',
    help: "Events this node's replica keeps among the offsets of pipeline_stream_lost_offsets (it deletes none of them); 0 while that is not: this node lacks what other nodes may keep",
    registers,
    collect() {
      this.set(read().lostWithoutPurge?.kept ?? 0);
    },
  });
  new Gauge({
    name: 'pipeline_replica_audited_offset',
    help: 'The last offset the current pass of the replica audit (NATS_AUDIT_PER_SECOND) checked against the stream leader',
    registers,
    collect() {
      this.set(read().auditedUpTo);
    },
  });
}
