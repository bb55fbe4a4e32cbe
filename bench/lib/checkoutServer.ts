import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** A server child of some checkout, listening. */
export interface CheckoutServer {
  readonly child: ChildProcess;
  readonly port: number;
  /** Its stdout so far (its log lines, LOG_LEVEL info at least until it listens). */
  readonly output: () => string;
}

/**
 * Start `node dist/src/main.js` of the built checkout at `root` with `env` (PORT 0 for an ephemeral port) and the
 * node flags in `nodeArgs` (`--cpu-prof`, a preload); resolves once it logs that it listens, with the port it took.
 * For the diagnosis tools, which compare checkouts; the bench harness has ServerProcess.
 */
export function startCheckout(
  root: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: readonly string[] = [],
): Promise<CheckoutServer> {
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist/src/main.js')], {
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  return new Promise((done, fail) => {
    const exited = (code: number | null) => fail(new Error(`server exited with ${code}: ${output.slice(-500)}`));
    child.once('exit', exited);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const port = /"port":(\d+)[^\n]*listening/.exec(output)?.[1];
      if (port === undefined) return;
      child.off('exit', exited);
      done({ child, port: Number(port), output: () => output });
    });
  });
}

/** Node flags from an environment variable's words (say BENCH_SERVER_NODE_ARGS). */
export const nodeArgsOf = (value: string | undefined): string[] => (value ?? '').split(' ').filter((a) => a !== '');
