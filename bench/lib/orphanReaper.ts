import { type ChildProcess, spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { resolve } from 'node:path';

// Hint: Node cannot ask Linux to signal a child when its parent dies (prctl PR_SET_PDEATHSIG), and neither the server
// child nor nats-server notices its parent going. So one small watcher per process holds the read end of a pipe from
// it, with the PIDs of the children still running and the temp dirs still held: when this process ends in any way,
// kill -9 included, the kernel closes the pipe, and the watcher kill -9s every PID it still holds, then removes the
// dirs. It ignores SIGINT, SIGTERM and SIGHUP, which a Ctrl-C or a closed terminal sends to the whole process group,
// so it is still there to do that. One watcher serves every kind of child, with no wrapper process between the
// harness and the PID it stops (tests kill -9 a nats-server by its PID).
const WATCHER_SOURCE = `/* bench orphan watcher: kill -9 the harness's children when it dies */
const { rmSync } = require('node:fs');
const held = new Set();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
let rest = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  const lines = (rest + text).split('\\n');
  rest = lines.pop();
  for (const line of lines) if (line[0] === '+') held.add(line.slice(1)); else held.delete(line.slice(1));
});
const reap = () => {
  for (const item of held) if (item[0] === 'p') try { process.kill(Number(item.slice(1)), 'SIGKILL'); } catch {}
  for (const item of held) if (item[0] === 'd') try { rmSync(item.slice(1), { recursive: true, force: true, maxRetries: 5 }); } catch {}
  process.exit(0);
};
process.stdin.on('end', reap);
process.stdin.on('close', reap);
`;

let watcher: ChildProcess | null = null;

function tell(line: string): void {
  if (watcher === null) {
    watcher = spawn(process.execPath, ['-e', WATCHER_SOURCE], { stdio: ['pipe', 'ignore', 'ignore'] });
    watcher.on('error', () => {
      watcher = null; // no watcher (e.g. out of processes): children are then stopped only by the exit hooks
    });
    watcher.stdin?.on('error', () => {});
    // Hint: neither the watcher nor its pipe may keep this process alive; the pipe closes when this process exits.
    watcher.unref();
    if (watcher.stdin instanceof Socket) watcher.stdin.unref();
  }
  watcher?.stdin?.write(`${line}\n`);
}

/** Have the child `pid` killed (-9) if this process dies before it; `release` it when it has exited. */
export function killIfOrphaned(pid: number): void {
  tell(`+p${pid}`);
}

/** Have the temp dir `path` removed if this process dies holding it; `releaseDir` it once removed. */
export function removeIfOrphaned(path: string): void {
  tell(`+d${resolve(path)}`);
}

/** The child with `pid` exited (its PID may be reused): the watcher must forget it. */
export function releasePid(pid: number): void {
  if (watcher !== null) tell(`-p${pid}`);
}

/** The temp dir `path` was removed. */
export function releaseDir(path: string): void {
  if (watcher !== null) tell(`-d${resolve(path)}`);
}
