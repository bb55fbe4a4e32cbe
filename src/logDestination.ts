import { createRequire } from 'node:module';
import type { SonicBoom, SonicBoomOpts } from 'sonic-boom';

// Hint: a CommonJS module whose typings claim an ES default export; require gives the class itself.
const SonicBoomClass = createRequire(import.meta.url)('sonic-boom') as new (options: SonicBoomOpts) => SonicBoom;

/** Standard output as the logger's destination, and a flush that can never hang. */
export interface LogDestination {
  readonly stream: SonicBoom;
  /** Write out what is buffered, synchronously; nothing once standard output is gone. */
  flush(): void;
}

/**
 * Lines are written in 4 KiB batches (one write per request line cost more than the line itself), and at least every
 * 250 ms, so a quiet server's lines still show promptly; shutdown and a fatal error flush synchronously.
 *
 * Hint: sonic-boom 5, not the 4.x inside pino: 4.x's flushSync retries every write error forever, so with standard
 * output piped to a reader that had exited (EPIPE) a SIGTERM never ended the process (5 of 6 runs). 5.x throws; once
 * a write has failed for good, `onBroken` runs once (the logger goes silent: nothing can be written, and lines would
 * pile up in memory) and flushes are skipped.
 */
export function stdoutLog(onBroken: () => void, fd = 1): LogDestination {
  const stream = new SonicBoomClass({ fd, sync: false, minLength: 4096, periodicFlush: 250 });
  let broken = false;
  const lost = () => {
    if (broken) return;
    broken = true;
    onBroken();
  };
  stream.on('error', lost);
  return {
    stream,
    flush: () => {
      if (broken) return;
      try {
        stream.flushSync();
      } catch {
        lost();
      }
    },
  };
}
