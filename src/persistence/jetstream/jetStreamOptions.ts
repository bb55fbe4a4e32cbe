/** How a node reaches the JetStream cluster and which stream holds the log (LOG_BACKEND=jetstream). */
export interface JetStreamOptions {
  /** NATS_URL, split on commas. */
  readonly servers: readonly string[];
  /** NATS_STREAM. */
  readonly stream: string;
  /** NATS_REPLICAS: copies the stream keeps (a PubAck means a quorum of them has the commit). */
  readonly replicas: number;
  /** NATS_DUPLICATE_WINDOW_MS: how long the stream remembers message ids. */
  readonly duplicateWindowMs: number;
  /** NATS_PUBLISH_TIMEOUT_MS: how long a commit retries for its PubAck (10 s when absent). */
  readonly publishTimeoutMs?: number;
  /** NATS_MAX_AGE_MS: the stream's max_age (0 or absent: none); set on the stream at every start. */
  readonly maxAgeMs?: number;
  /** NATS_MAX_BYTES: the stream's max_bytes (0 or absent: none); set on the stream at every start. */
  readonly maxBytes?: number;
  /** NATS_AUDIT_PER_SECOND: replica offsets checked against the stream leader per second (0: none; 100 when absent). */
  readonly auditPerSecond?: number;
  /** MAX_PAYLOAD_BYTES: the largest event must fit in one NATS message (checked against the servers at start). */
  readonly maxPayloadBytes?: number;
  /** DATABASE_PATH: the replica a missing stream must not orphan (refuseOrphaningReplica); absent: not checked. */
  readonly replicaPath?: string;
  /** NATS_ALLOW_NEW_STREAM: create a missing stream even over a replica of another stream. */
  readonly allowNewStream?: boolean;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** NATS_CREDS: a .creds file (JWT and nkey seed). */
  readonly credsFile?: string;
}

/** Thrown when the cluster cannot be reached or the stream cannot be opened; names the servers and the reason. */
export class JetStreamUnavailableError extends Error {
  override readonly name = 'JetStreamUnavailableError';
}

/**
 * Thrown when a setting cannot work with the cluster or stream found (exit 2, like a ConfigError); names the variable.
 */
export class JetStreamSettingError extends Error {
  override readonly name = 'JetStreamSettingError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}
