import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * The marker beside a replica's SQLite file (`<DATABASE_PATH>.jetstream.json`): which stream it replicates, and its
 * layout. Hint: the position itself is the replica's head offset (offset = stream sequence), written in the same
 * transaction as the records; a marker without `layout: "seq"` is from the earlier one-message-per-commit layout,
 * whose offsets were not sequences, and that replica is rebuilt.
 */
export interface ReplicaMarker {
  readonly epoch: string;
  readonly layout: 'seq' | 'commit';
  /** The stream's name (absent in markers written before it was kept; added at the next start). */
  readonly stream?: string;
}

/** Where the marker of the replica at `databasePath` lives; its presence marks the file as a replica. */
export function positionPath(databasePath: string): string {
  return `${databasePath}.jetstream.json`;
}

/** The saved marker, or null when none (or unreadable). */
export function readPosition(databasePath: string): ReplicaMarker | null {
  const path = positionPath(databasePath);
  if (!existsSync(path)) return null;
  try {
    const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof raw !== 'object' || raw === null) return null;
    const { epoch, layout, stream } = raw as Record<string, unknown>;
    if (typeof epoch !== 'string') return null;
    return { epoch, layout: layout === 'seq' ? 'seq' : 'commit', ...(typeof stream === 'string' ? { stream } : {}) };
  } catch {
    return null;
  }
}

/** Save the marker (write then rename, so a crash leaves the old or the new one, never half of either). */
export function writePosition(databasePath: string, marker: ReplicaMarker): void {
  const path = positionPath(databasePath);
  writeFileSync(`${path}.tmp`, JSON.stringify(marker));
  renameSync(`${path}.tmp`, path);
}

/**
 * Why the embedded log must not open `databasePath`, or null: a cluster replica opened without LOG_BACKEND=jetstream
 * would take publishes the stream never sees, at offsets the cluster gives to other events (same epoch, no warning).
 */
export function replicaRefusal(databasePath: string): string | null {
  if (!existsSync(positionPath(databasePath))) return null;
  const stream = readPosition(databasePath)?.stream;
  return (
    `it is a cluster node's replica${stream === undefined ? '' : ` of stream ${stream}`} (${positionPath(databasePath)} ` +
    'marks it): start this node with LOG_BACKEND=jetstream and its NATS settings. To take the file out of the cluster ' +
    'for good and serve it as an embedded log, delete that marker; the two logs then part ways'
  );
}
