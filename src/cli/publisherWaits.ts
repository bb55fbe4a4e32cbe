import type { Publisher } from '../client/index.js';

/**
 * Resolves when the publisher has room or `signal` aborts. Hint: not a race against one promise of the abort: each
 * race left a reaction on that promise, which never settles without a Ctrl-C, so a 1,000,000-line publish held 753 MB
 * (a probe; 310 bytes a line kept, in process); this listener is removed once the wait is over.
 */
export function roomOrAbort(publisher: Pick<Publisher, 'ready'>, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  // Hint: one hop after ready(), with or without a signal, so the failures that made room are counted before the
  // caller asks gaveUp() (publishEvents' test of a server that stops acknowledging).
  return new Promise((resolve, reject) => {
    const stop = () => resolve();
    signal?.addEventListener('abort', stop, { once: true });
    publisher.ready().then(
      () => {
        signal?.removeEventListener('abort', stop);
        resolve();
      },
      (error: unknown) => {
        signal?.removeEventListener('abort', stop);
        reject(error);
      },
    );
  });
}

/** Whether everything handed to the publisher settled within `ms` (close() sends a partial batch at once). */
export async function settleWithin(publisher: Publisher, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([publisher.close().then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
