import type { PublishPlan, PublishResult } from '../workers/wsPublisher.js';
import { type WorkerMessage, WorkerProcess } from './childProcesses.js';

/** Run one closed-loop publishing plan in its own process and return what it measured. */
export async function runPublisher(plan: PublishPlan): Promise<PublishResult> {
  const worker = WorkerProcess.start('wsPublisher');
  try {
    return await worker.request<PublishResult>(
      { type: 'publish', plan },
      'published',
      plan.warmupMs + plan.durationMs + plan.drainTimeoutMs + 30_000,
    );
  } finally {
    await worker.stop();
  }
}

/** A running raw uWS server (see workers/uwsEcho.ts). */
export interface UwsServer {
  readonly port: number;
  readonly pid: number;
}

/** Start the raw uWS server in `mode`, run `fn` against it, stop it. */
export async function withUwsServer<T>(mode: 'echo' | 'relay', fn: (server: UwsServer) => Promise<T>): Promise<T> {
  const worker = WorkerProcess.start('uwsEcho');
  try {
    const listening = await worker.request<WorkerMessage & { port: number }>(
      { type: 'listen', mode },
      'listening',
      10_000,
    );
    return await fn({ port: listening.port, pid: worker.pid });
  } finally {
    await worker.stop();
  }
}

/** Sleep, for settling between phases (never to wait for a condition: use `waitFor`). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `probe` every `everyMs` until it returns true or `timeoutMs` passes; returns whether it succeeded. */
export async function waitFor(
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1_000_000 && Date.now() < deadline; i++) {
    if (await probe()) return true;
    await sleep(everyMs);
  }
  return probe();
}
