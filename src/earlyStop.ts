/** What stopping before the server is ready needs from the process. */
export interface EarlyStopOptions {
  /** Where the signals come from (`process`). */
  readonly signals: {
    on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
    off(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  };
  /** LOG_LEVEL as set: the line is left out when it asks for less than `info`, as pino would leave it out. */
  readonly logLevel: string | undefined;
  /** Write one whole line to standard output, synchronously (nothing may be left in a buffer at the exit). */
  readonly writeLine: (line: string) => void;
  readonly exit: (code: number) => void;
  readonly now: () => Date;
  readonly pid: number;
  readonly hostname: string;
}

/** Levels above `info`, in LOG_LEVEL's spellings (the old service's Python names too), case as the setting reads. */
const ABOVE_INFO = new Set(['warn', 'warning', 'error', 'fatal', 'critical', 'silent']);

/**
 * Stop on SIGTERM or SIGINT while the server's modules still load: one info line in pino's shape, then exit 0.
 * Nothing is open or written yet to be closed. The returned `handOver` removes these listeners, once the clean
 * shutdown's own (`stopOnSignals`) are set.
 */
export function earlyStop(options: EarlyStopOptions): { handOver(): void } {
  const stop = (signal: 'SIGTERM' | 'SIGINT') => {
    if (!ABOVE_INFO.has(options.logLevel?.trim().toLowerCase() ?? '')) {
      const fields = { level: 30, time: options.now().toISOString(), pid: options.pid, hostname: options.hostname };
      try {
        options.writeLine(JSON.stringify({ ...fields, signal, msg: 'stopped before it was ready' }));
      } catch {
        // Hint: standard output gone (EPIPE): the line is lost, the stop is still clean.
      }
    }
    options.exit(0);
  };
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  options.signals.on('SIGTERM', onTerm);
  options.signals.on('SIGINT', onInt);
  return {
    handOver: () => {
      options.signals.off('SIGTERM', onTerm);
      options.signals.off('SIGINT', onInt);
    },
  };
}
