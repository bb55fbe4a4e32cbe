import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The child's entry point: the built server, with IPC for GC, inspection and a manual clock. */
export const INSPECTABLE_SERVER = fileURLToPath(new URL('./inspectableServer.mjs', import.meta.url));

/** What the child server reports of one subscriber (pipeline.inspectSubscriber). */
export interface InspectedSubscriber {
  readonly mode: string;
  readonly bufferedAmount: number;
}

/** The built server in a child process the test can inspect over IPC and measure through /proc. */
export interface InspectableChild {
  readonly proc: ChildProcess;
  readonly base: string;
  readonly wsBase: string;
  inspect(subscriber: string): Promise<InspectedSubscriber | null>;
  /** The child's resident set (VmRSS) in bytes, read after a full GC in the child. */
  settledRss(): Promise<number>;
  stop(): Promise<void>;
}

interface Reply {
  readonly seq: number;
  readonly value: unknown;
}

/** A forked `inspectableServer.mjs`: `listening` resolves with its port; `ask` sends one IPC request. */
export interface ForkedServer {
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  readonly listening: Promise<number>;
  ask(request: Record<string, unknown>): Promise<unknown>;
}

/** Fork `inspectableServer.mjs` (needs `npm run build`) with `env` added to this process's environment. */
export function forkInspectableServer(env: Record<string, string>): ForkedServer {
  const proc = fork(INSPECTABLE_SERVER, [], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const waiting = new Map<number, (value: unknown) => void>();
  proc.on('message', (reply: Reply) => {
    waiting.get(reply.seq)?.(reply.value);
    waiting.delete(reply.seq);
  });
  let seq = 0;
  const ask = (request: Record<string, unknown>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (!proc.connected) return reject(new Error('the server process is gone'));
      const id = ++seq;
      waiting.set(id, resolve);
      proc.send({ ...request, seq: id });
    });
  const listening = new Promise<number>((resolve, reject) => {
    waiting.set(0, (port) => resolve(Number(port)));
    void exited.then(() => reject(new Error('inspectable server exited before it listened')));
  });
  return { proc, exited, listening, ask };
}

/** Start `inspectableServer.mjs` (needs `npm run build`) with `env` added; resolves once it listens. */
export async function startInspectableChild(env: Record<string, string>): Promise<InspectableChild> {
  const { proc, exited, listening, ask } = forkInspectableServer(env);
  const port = await listening;
  return {
    proc,
    base: `http://127.0.0.1:${String(port)}`,
    wsBase: `ws://127.0.0.1:${String(port)}`,
    inspect: async (subscriber) => (await ask({ kind: 'inspect', subscriber })) as InspectedSubscriber | null,
    settledRss: async () => {
      await ask({ kind: 'gc' });
      const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1];
      return Number(kb) * 1024;
    },
    stop: async () => {
      if (proc.connected) proc.disconnect();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
