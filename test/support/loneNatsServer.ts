import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild, track } from '../../bench/lib/childProcesses.js';
import { portAnswers } from '../../bench/lib/natsMonitor.js';
import { stablePort } from '../../bench/lib/stablePort.js';

/** One nats-server with a config of the test's own (no JetStream, a token…), started and stopped by its PID. */
export class LoneNatsServer {
  private constructor(
    private readonly proc: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  /** Start one on a free port with `lines` added to its config (`STORE` in them is replaced by a store dir). */
  static async start(lines: readonly string[]): Promise<LoneNatsServer> {
    const dir = mkdtempSync(join(tmpdir(), 'lone-nats-'));
    const port = await stablePort();
    const conf = join(dir, 'server.conf');
    const body = lines.map((line) => line.replaceAll('STORE', join(dir, 'store')));
    writeFileSync(conf, [`listen: 127.0.0.1:${port}`, ...body].join('\n'));
    let output = '';
    const proc = track(spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-c', conf], { stdio: 'pipe' }));
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const server = new LoneNatsServer(proc, dir, `nats://127.0.0.1:${port}`);
    const deadline = Date.now() + 10_000;
    while (!(await portAnswers(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        await server.stop();
        throw new Error(`nats-server did not listen on ${port}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return server;
  }

  async stop(): Promise<void> {
    await stopChild(this.proc);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
