import cliProgress from 'cli-progress';
import type { CliIo } from './command.js';

/** The subset of a progress bar the commands use. */
export interface Progress {
  update(value: number): void;
  stop(): void;
}

/** A bar on stderr when it is a terminal (never in pipes or tests), else nothing. */
export function progressBar(io: CliIo, total: number, label: string): Progress {
  if (io.stderr.isTTY !== true || total <= 0) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (value) => bar.update(value), stop: () => bar.stop() };
}
