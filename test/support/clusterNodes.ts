import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { type ChildServer, killServer, spawnServer } from './childServer.js';
import type { NatsCluster } from './natsCluster.js';
import { allEvents } from './pipelineRest.js';

/** Pipeline nodes (node dist/src/main.js, LOG_BACKEND=jetstream) on one NatsCluster, each with its own replica. */
export class ClusterNodes {
  readonly dir = mkdtempSync(join(tmpdir(), 'cluster-nodes-'));
  private readonly running = new Map<string, ChildServer>();

  constructor(
    private readonly nats: NatsCluster,
    private readonly stream = 'EVENTS',
    private readonly replicas = nats.nodes.length,
  ) {}

  /** The replica file of node `name`. */
  databasePath(name: string): string {
    return join(this.dir, `${name}.db`);
  }

  /** Start node `name` (again, after a kill, on the same replica); resolves once /health answers. */
  async start(name: string, env: Record<string, string> = {}): Promise<ChildServer> {
    const server = await spawnServer(this.databasePath(name), {
      LOG_BACKEND: 'jetstream',
      NATS_URL: this.nats.url,
      NATS_STREAM: this.stream,
      NATS_REPLICAS: String(this.replicas),
      ...env,
    });
    this.running.set(name, server);
    return server;
  }

  /** Delete node `name`'s replica (with its WAL, shared memory and lock files), as an operator rebuilding it does. */
  removeReplica(name: string): void {
    for (const suffix of ['', '-wal', '-shm', '.lock']) rmSync(`${this.databasePath(name)}${suffix}`, { force: true });
  }

  /** kill -9 node `name` by its PID and wait for it to exit. */
  async kill(name: string): Promise<void> {
    await killServer(this.running.get(name));
    this.running.delete(name);
  }

  /** Kill every node and remove the replicas (copied first into the directory CLUSTER_KEEP_REPLICAS names, if set). */
  async stop(): Promise<void> {
    for (const name of [...this.running.keys()]) await this.kill(name);
    const keep = process.env.CLUSTER_KEEP_REPLICAS;
    if (keep && existsSync(this.dir)) cpSync(this.dir, join(keep, basename(this.dir)), { recursive: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A hash of a node's whole log as GET /events serves it (ids, offsets, content, timestamps), and its length. */
export async function logDigest(base: string): Promise<{ count: number; head: number; sha256: string }> {
  const records = await allEvents(base);
  const hash = createHash('sha256');
  for (const record of records) hash.update(`${JSON.stringify(record)}\n`);
  return { count: records.length, head: records.at(-1)?.offset ?? 0, sha256: hash.digest('hex') };
}

/**
 * Where two nodes' logs differ as GET /events serves them: the lengths, then each offset whose records differ (the
 * first `shown` with both records). Empty when the logs are the same, so a failure shows what differs, not two hashes.
 */
export async function logDifference(baseA: string, baseB: string, shown = 3): Promise<string[]> {
  const [a, b] = await Promise.all([allEvents(baseA), allEvents(baseB)]);
  const out = a.length === b.length ? [] : [`lengths ${a.length} and ${b.length}`];
  const differing: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (JSON.stringify(a[i]) === JSON.stringify(b[i])) continue;
    if (differing.length < shown) out.push(`${JSON.stringify(a[i])}\n  vs ${JSON.stringify(b[i])}`);
    differing.push(a[i]!.offset);
  }
  if (differing.length > 0)
    out.push(`${differing.length} records differ, at offsets ${differing.slice(0, 50).join(', ')}`);
  return out;
}

/** The recorded no-op offsets of a node's replica, read from its SQLite file (a second reader, WAL). */
export function noopOffsets(path: string): { offset: number; reason: string }[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT offset, reason FROM noop_offsets ORDER BY offset').all() as {
      offset: number;
      reason: string;
    }[];
  } finally {
    db.close();
  }
}
