import type { WorkerMessage } from './childProcesses.js';

type Handler = (message: WorkerMessage) => Promise<WorkerMessage | undefined> | WorkerMessage | undefined;

/** Send a message to the orchestrator (no-op when the IPC channel is gone). */
export function reply(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

/**
 * The worker side of the IPC protocol: dispatch commands by `type`, report failures as `{type:"error"}`, and exit
 * when told to or when the orchestrator goes away (so no load generator outlives a run).
 */
export function serveWorker(handlers: Record<string, Handler>, onExit: () => void | Promise<void> = () => {}): void {
  const exit = async (code: number) => {
    const hardStop = setTimeout(() => process.exit(code), 2_000);
    hardStop.unref();
    try {
      await onExit();
    } finally {
      process.exit(code);
    }
  };
  process.on('message', (raw) => {
    const message = raw as WorkerMessage;
    if (message.type === 'exit') {
      void exit(0);
      return;
    }
    const handler = handlers[message.type];
    if (handler === undefined) {
      reply({ type: 'error', message: `unknown command ${JSON.stringify(message.type)}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message))
      .then((result) => {
        if (result) reply(result);
      })
      .catch((error: unknown) =>
        reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  process.on('disconnect', () => void exit(0));
}
