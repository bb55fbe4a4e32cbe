import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Whether every thread of `pid` is stopped (state T, or t when traced); a thread that has just gone counts as stopped. */
function allThreadsStopped(pid: number): boolean {
  return readdirSync(`/proc/${pid}/task`).every((task) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      return /^[Tt]/.test(stat.slice(stat.lastIndexOf(')') + 2));
    } catch {
      return true;
    }
  });
}

/**
 * SIGSTOP `proc` by its PID and resolve once every one of its threads is stopped. Why: kill() returns before the
 * stop takes effect; on this 2-core machine under load a stopped nats-server still answered 29 of 60 stream info
 * requests sent right after the signal (in 1-5 ms), and none once every thread showed state T.
 */
export async function hangProcess(proc: ChildProcess, timeoutMs = 5_000): Promise<void> {
  const pid = proc.pid;
  if (pid === undefined) throw new Error('the process has no PID');
  process.kill(pid, 'SIGSTOP');
  const deadline = Date.now() + timeoutMs;
  while (!allThreadsStopped(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} not stopped ${timeoutMs} ms after SIGSTOP`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
