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
  /** V8's heapUsed in the child, read right after a full GC there: what JavaScript objects hold, without malloc's. */
  heapUsed(): Promise<number>;
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
    // Hint: a small young generation and glibc returning large blocks to the system keep the child's rss close to
    // what it really holds (without them, identical phases differed by up to 40 MB); they change no behaviour tested.
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      MALLOC_MMAP_THRESHOLD_: '65536',
      MALLOC_TRIM_THRESHOLD_: '131072',
      ...env,
    },
    execArgv: ['--expose-gc', '--max-semi-space-size=1'],
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
      // Hint: right after a GC, rss still holds pages V8 and malloc are about to give back (tens of MB here), so the
      // figure is the lowest of a few samples: memory the server really holds is in every one of them.
      let lowest = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 4; i++) {
        await ask({ kind: 'gc' });
        await new Promise((resolve) => setTimeout(resolve, 50));
        const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1];
        lowest = Math.min(lowest, Number(kb) * 1024);
      }
      return lowest;
    },
    heapUsed: async () => Number(await ask({ kind: 'heap' })),
    stop: async () => {
      if (proc.connected) proc.disconnect();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
