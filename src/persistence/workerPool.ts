import type { Worker } from 'node:worker_threads';

/**
 * Idle worker threads of one kind, kept for the next log this process opens. Hint: starting a worker (a fresh V8
 * isolate and the SQLite addon) costs 45-69 ms of CPU on this machine; a process that reopens logs (restarts in tests,
 * tools) reuses one instead. A worker serves one log at a time, and an idle one is unref'd and holds no connection.
 */
export class WorkerPool {
  private readonly idle: Worker[] = [];

  constructor(
    private readonly spawn: () => Worker,
    /** Idle workers kept at most; one per log open at a time is enough. */
    private readonly keep: number,
  ) {}

  /** An idle worker when there is one, else a new one. */
  take(): Worker {
    return this.idle.pop() ?? this.fresh();
  }

  /** Give back a worker whose connection closed cleanly; beyond the idle limit it ends. */
  release(worker: Worker): void {
    if (this.idle.length < this.keep) this.idle.push(worker);
    else void worker.terminate();
  }

  private fresh(): Worker {
    const worker = this.spawn();
    worker.unref();
    // Hint: a worker that ends (it should not) is never handed out again; while idle, nobody else listens for its
    // errors, and an 'error' event without a listener would throw in this thread.
    worker.on('error', () => {});
    worker.once('exit', () => {
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
    });
    return worker;
  }
}
