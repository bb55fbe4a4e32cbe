import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import {
  type EventLog,
  type GroupOutcome,
  type LogHealth,
  type LogStats,
  LogWriteError,
  type RefoldedRow,
  type SavedSession,
  type SessionSnapshotRow,
  type SessionStatusRow,
} from '../../src/persistence/eventLog.js';
import type { EventFilter } from '../../src/protocol/eventFilter.js';
import type { EventInput } from '../../src/protocol/eventInput.js';
import type { EventQuery } from '../../src/protocol/eventQuery.js';
import type { StoredEvent } from '../../src/protocol/eventRecord.js';
import type { LogDeps } from '../logContract.case.js';

type Reply = { ok: true; value: unknown } | { ok: false; name: string; message: string };
type Call = (method: string, args?: unknown[], ids?: string[]) => unknown;

/**
 * Runs JetStreamEventLog in a worker thread and answers the contract's synchronous calls by blocking on the worker
 * (Atomics.wait): appendGroups becomes the log's real `commit` (publish, PubAck, apply) and deleteBefore its
 * retention command. The clock and generated ids come from the contract's deps with every call. Each log path gets
 * its own stream; streams of paths whose directory is gone (a finished harness) are deleted on the next open.
 */
export class SyncJetStreamLogHost {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly streams = new Map<string, string>();
  private made = 0;
  private handles = 0;
  private seq = 0;

  constructor(servers: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./jetStreamLogWorker.mjs', import.meta.url), {
      workerData: { port: port2, flag: this.signal.buffer, servers: servers.split(',') },
      transferList: [port2],
    });
  }

  /** The contract's OpenLog: a proxy for a JetStreamEventLog whose replica is at `path`. */
  open(path: string, deps: LogDeps): EventLog {
    const gone = [...this.streams].filter(([p]) => !existsSync(dirname(p)));
    for (const [p] of gone) this.streams.delete(p);
    let stream = this.streams.get(path);
    if (stream === undefined) {
      stream = `C${++this.made}`;
      this.streams.set(path, stream);
    }
    const handle = ++this.handles;
    const request = { call: 'open', handle, path, stream, epoch: deps.newEpoch(), drop: gone.map(([, s]) => s) };
    const { epoch } = this.call({ ...request, now: deps.now(), ids: [] }) as { epoch: string };
    return new ProxyLog(epoch, deps, (method, args = [], ids = []) =>
      this.call({ handle, method, args, now: deps.now(), ids }),
    );
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }

  private call(request: Record<string, unknown>): unknown {
    // Hint: the worker stores the request's sequence number after posting its reply, so a late notify from an
    // earlier call (its store seen before its notify) can never wake this call before its own reply is queued.
    const seq = ++this.seq;
    this.port.postMessage({ ...request, seq });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      if (seen === seq) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`worker did not answer ${String(request.method ?? request.call)}`);
      Atomics.wait(this.signal, 0, seen, left);
    }
    const received = receiveMessageOnPort(this.port);
    if (received === undefined) throw new Error('worker signalled without a reply');
    const reply = received.message as Reply;
    if (reply.ok) return reply.value;
    if (reply.name === 'LogWriteError') throw new LogWriteError(reply.message);
    throw new Error(`${reply.name}: ${reply.message}`);
  }
}

/** The EventLog the contract sees: every call forwarded to the worker's log. */
class ProxyLog implements EventLog {
  constructor(
    readonly epoch: string,
    private readonly deps: LogDeps,
    private readonly call: Call,
  ) {}

  headOffset(): number {
    return this.call('headOffset') as number;
  }
  firstOffset(): number {
    return this.call('firstOffset') as number;
  }
  appendGroups(groups: readonly (readonly EventInput[])[]): GroupOutcome[] {
    // Hint: the embedded log calls newId once per id-less input, in order; the proxy does the same up front.
    const ids = groups.flatMap((group) => group.filter((input) => input.id === null).map(() => this.deps.newId()));
    return this.call('appendGroups', [groups], ids) as GroupOutcome[];
  }
  commit(groups: readonly (readonly EventInput[])[]): Promise<GroupOutcome[]> {
    return Promise.resolve(this.appendGroups(groups));
  }
  readFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number): StoredEvent[] {
    return this.call('readFrom', [fromOffset, filter, limit, upTo]) as StoredEvent[];
  }
  readJsonFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number) {
    return this.call('readJsonFrom', [fromOffset, filter, limit, upTo]) as {
      records: string[];
      lastOffset: number | null;
    };
  }
  query(query: EventQuery): StoredEvent[] {
    return this.call('query', [query]) as StoredEvent[];
  }
  getById(id: string): StoredEvent | null {
    return this.call('getById', [id]) as StoredEvent | null;
  }
  stats(now: number): LogStats {
    return this.call('stats', [now]) as LogStats;
  }
  deleteBefore(before: number | undefined): number {
    return this.call('deleteBefore', [before]) as number;
  }
  saveSessionStatuses(
    rows: readonly SessionStatusRow[],
    upTo?: number,
    snapshots?: readonly SessionSnapshotRow[],
  ): void {
    this.call('saveSessionStatuses', [rows, upTo, snapshots]);
  }
  sessionsFoldedUpTo(): number {
    return this.call('sessionsFoldedUpTo') as number;
  }
  noteSessionsFolded(upTo: number): void {
    this.call('noteSessionsFolded', [upTo]);
  }
  listSessions(status: string | undefined, limit: number): SessionStatusRow[] {
    return this.call('listSessions', [status, limit]) as SessionStatusRow[];
  }
  sessionsToRefold(add?: readonly string[]): string[] {
    return this.call('sessionsToRefold', [add]) as string[];
  }
  saveRefolded(rows: readonly RefoldedRow[], gone: readonly string[]): void {
    this.call('saveRefolded', [rows, gone]);
  }
  savedSession(sessionId: string): SavedSession | null {
    return this.call('savedSession', [sessionId]) as SavedSession | null;
  }
  indexTail(): void {
    this.call('indexTail');
  }
  ping(): boolean {
    return this.call('ping') as boolean;
  }
  health(): LogHealth {
    return this.call('health') as LogHealth;
  }
  close(): void {
    this.call('close');
  }
}
