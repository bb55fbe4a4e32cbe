import type { Setting } from './settings.js';

/** The settings of cluster mode (LOG_BACKEND=jetstream), in the order --help and the README list them. */
export const CLUSTER_SETTINGS: readonly Setting[] = [
  {
    name: 'LOG_BACKEND',
    fallback: 'sqlite',
    meaning:
      "`sqlite`: the embedded log in `DATABASE_PATH`. `jetstream`: cluster mode, the log is a NATS JetStream stream and `DATABASE_PATH` this node's replica of it (see Cluster mode)",
  },
  {
    name: 'NATS_URL',
    fallback: 'nats://127.0.0.1:4222',
    meaning:
      'Comma-separated NATS servers of the JetStream cluster (`LOG_BACKEND=jetstream`), each `nats://host[:port]` or `tls://host[:port]` (`nats://` may be left out); any other entry is a configuration error',
  },
  {
    name: 'NATS_STREAM',
    fallback: 'EVENTS',
    meaning:
      'The stream holding the log (1–64 letters, digits, `_`, `-`); created when missing (with `<NATS_STREAM>-purges`, where `DELETE /events` records its cuts), unless `DATABASE_PATH` holds records of another stream (exit 2, see `NATS_ALLOW_NEW_STREAM`)',
  },
  {
    name: 'NATS_ALLOW_NEW_STREAM',
    fallback: 'false',
    meaning:
      '`true`: create a missing `NATS_STREAM` even when `DATABASE_PATH` is a replica holding records of another stream, and discard that replica',
  },
  {
    name: 'NATS_REPLICAS',
    fallback: '3',
    meaning: 'Copies of the stream when this node creates it; a commit is acked once a quorum has it',
    range: { min: 1, max: 5 },
  },
  {
    name: 'NATS_DUPLICATE_WINDOW_MS',
    fallback: '600000',
    meaning:
      "How long the stream dedupes a re-sent commit message; at least the producers' retry horizon. A node raises an existing stream's window, never lowers it (exit 2; lower it with `nats stream edit <stream> --dupe-window`)",
    range: { min: 1_000 },
  },
  {
    name: 'NATS_PUBLISH_TIMEOUT_MS',
    fallback: '10000',
    meaning:
      'How long a commit keeps retrying for its PubAck before the publish is answered 503 (retryable); the SDK waits 15 s for an answer before it drops a socket, so above that its clients see a timeout instead of the 503',
    range: { min: 100 },
  },
  {
    name: 'NATS_AUDIT_PER_SECOND',
    fallback: '100',
    meaning:
      'How many offsets per second this node checks its replica against the stream leader, pass after pass (0: none); a difference makes `/readiness` 503 naming the offset until the replica is rebuilt (see Cluster mode)',
    range: { min: 0, max: 10_000 },
  },
  {
    name: 'NATS_MAX_AGE_MS',
    fallback: '0',
    meaning:
      "The stream's `max_age` (0: none; else at least 100 and at least `NATS_DUPLICATE_WINDOW_MS`); older events leave the stream and every replica follows. A node raises or lifts an existing stream's limit, never lowers it (exit 2; lower it with `nats stream edit`)",
    range: { min: 0 },
  },
  {
    name: 'NATS_MAX_BYTES',
    fallback: '0',
    meaning:
      "The stream's `max_bytes` (0: none); the oldest events leave the stream and every replica follows. A node raises or lifts an existing stream's limit, never lowers it (exit 2; lower it with `nats stream edit`)",
    range: { min: 0 },
  },
  {
    name: 'NATS_USER',
    fallback: '',
    meaning: 'NATS user name (with `NATS_PASSWORD`; one without the other is a configuration error)',
  },
  { name: 'NATS_PASSWORD', fallback: '', meaning: 'NATS password' },
  { name: 'NATS_TOKEN', fallback: '', meaning: 'NATS token' },
  {
    name: 'NATS_CREDS',
    fallback: '',
    meaning: 'Path of a NATS `.creds` file (JWT and seed); checked to be readable at start in cluster mode',
  },
];
