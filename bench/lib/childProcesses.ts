import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killIfOrphaned, releasePid } from './orphanReaper.js';

/** Every child this run started and has not yet reaped; killed by PID if the orchestrator exits early. */
const live = new Set<ChildProcess>();
/** The 'error' each child reported (a failed spawn, a failed kill or IPC send), for its owner to explain. */
const errors = new WeakMap<ChildProcess, Error>();
/** Set by stopAll: a child started after it is killed at once (a scenario still running may start one). */
let closing = false;

process.once('exit', () => {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

/**
 * Remember a child so an early exit of the orchestrator still kills it, even a kill -9 (see orphanReaper.ts). Its
 * 'error' event is kept for `childError` instead of crashing the process: a spawn that fails (ENOENT) emits one.
 */
export function track(child: ChildProcess): ChildProcess {
  child.on('error', (error) => {
    errors.set(child, error);
    if (child.pid === undefined) live.delete(child); // never started: no 'exit' will come
  });
  if (child.pid === undefined) return child;
  const pid = child.pid;
  live.add(child);
  killIfOrphaned(pid);
  child.once('exit', () => {
    live.delete(child);
    releasePid(pid);
  });
  if (closing) void stopChild(child, 'SIGKILL', 0);
  return child;
}

/** The error a tracked child reported ('error' event), if any: for a failed spawn, its `code` says why (ENOENT). */
export function childError(child: ChildProcess): NodeJS.ErrnoException | undefined {
  return errors.get(child);
}

/** How many tracked children are still running. */
export function liveChildren(): number {
  return live.size;
}

/** Stop every tracked child (SIGTERM, SIGKILL after `graceMs`); any child started from now on is killed at once. */
export async function stopAll(graceMs: number): Promise<void> {
  closing = true;
  await Promise.all([...live].map((child) => stopChild(child, 'SIGTERM', graceMs)));
}

/** True while the child has neither exited nor been killed by a signal. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolve when the child exits, or with false after `ms`. */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (!isRunning(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Stop one child by its PID: `signal` first, SIGKILL after `graceMs`. */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000,
): Promise<void> {
  if (!isRunning(child) || child.pid === undefined) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    return;
  }
  if (await waitForExit(child, graceMs)) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitForExit(child, 2_000);
}

/** A message between the orchestrator and a load-generator process. */
export interface WorkerMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Thrown when a worker reports an error, exits early, or misses a deadline. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
}

interface Waiter {
  readonly type: string;
  readonly resolve: (message: WorkerMessage) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * A load generator in its own Node process (dist/bench/workers/<name>.js), driven over IPC, so client CPU never
 * runs on the server's event loop. Replies are matched by `type`, in arrival order.
 */
export class WorkerProcess {
  private readonly inbox: WorkerMessage[] = [];
  private readonly waiters: Waiter[] = [];
  private exitReason: string | null = null;
  private readonly stderrTail: string[] = [];

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (raw) => this.receive(raw as WorkerMessage));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderrTail.push(text);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    child.once('exit', (code, signal) => {
      this.exitReason = `worker ${name} exited (code ${code ?? 'none'}, signal ${signal ?? 'none'})${this.stderr() ? `: ${this.stderr()}` : ''}`;
      for (const waiter of this.waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(new WorkerError(this.exitReason));
      }
    });
  }

  /** Fork dist/bench/workers/<name>.js. */
  static start(name: string, execArgv: readonly string[] = []): WorkerProcess {
    const script = fileURLToPath(new URL(`../workers/${name}.js`, import.meta.url));
    const child = track(fork(script, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv: [...execArgv] }));
    return new WorkerProcess(name, child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  stderr(): string {
    return this.stderrTail.join('').trim().slice(-2_000);
  }

  send(message: WorkerMessage): void {
    if (this.exitReason !== null) throw new WorkerError(this.exitReason);
    this.child.send(message);
  }

  /** The next message of `type` (earlier unmatched messages stay queued); rejects on a worker error or timeout. */
  next<T extends WorkerMessage>(type: string, timeoutMs: number): Promise<T> {
    const index = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
    if (index >= 0) {
      const message = this.inbox.splice(index, 1)[0]!;
      return message.type === 'error'
        ? Promise.reject(new WorkerError(`${this.name}: ${String(message.message)}`))
        : Promise.resolve(message as T);
    }
    if (this.exitReason !== null) return Promise.reject(new WorkerError(this.exitReason));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        type,
        resolve: (message) => resolve(message as T),
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new WorkerError(`${this.name}: no "${type}" within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Send a command and wait for its reply. */
  request<T extends WorkerMessage>(message: WorkerMessage, replyType: string, timeoutMs: number): Promise<T> {
    const reply = this.next<T>(replyType, timeoutMs);
    this.send(message);
    return reply;
  }

  /** Ask the worker to exit, then make sure it did (SIGTERM, then SIGKILL, by PID). */
  async stop(): Promise<void> {
    if (!isRunning(this.child)) return;
    try {
      this.child.send({ type: 'exit' });
    } catch {
      // IPC already closed
    }
    if (await waitForExit(this.child, 3_000)) return;
    await stopChild(this.child, 'SIGTERM', 3_000);
  }

  private receive(message: WorkerMessage): void {
    const index = this.waiters.findIndex((w) => w.type === message.type || message.type === 'error');
    if (index < 0) {
      this.inbox.push(message);
      return;
    }
    const waiter = this.waiters.splice(index, 1)[0]!;
    clearTimeout(waiter.timer);
    if (message.type === 'error') waiter.reject(new WorkerError(`${this.name}: ${String(message.message)}`));
    else waiter.resolve(message);
  }
}
