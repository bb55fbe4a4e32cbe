import { EXIT } from './command.js';
import { onStdoutClosed } from './stdoutClosed.js';

/** The abort reason when standard output's reader went away (EPIPE), not a Ctrl-C. */
export const OUTPUT_CLOSED = 'standard output closed';

/**
 * An AbortSignal the first SIGINT aborts, so a long publish can stop reading, wait for its acks and print its
 * summary; a second SIGINT ends the process at once (by SIGINT: status 130), as an impatient user means it. A closed
 * standard output aborts it too, with OUTPUT_CLOSED, unless `hearOutputClosed` is false (a command whose output is
 * its whole work ends quietly then: `export | head`). `dispose` restores the defaults.
 */
export function sigintStop(hearOutputClosed = true): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (!controller.signal.aborted) return void controller.abort();
    // Hint: process.exit waits for Node's thread pool, where a read may never return (a terminal as --file; a FIFO
    // was, before it was read through the event loop); SIGINT's own default action ends the process at once (130).
    process.removeAllListeners('SIGINT');
    process.exitCode = EXIT.interrupted;
    process.kill(process.pid, 'SIGINT');
  };
  process.on('SIGINT', onSigint);
  const unhear = hearOutputClosed ? onStdoutClosed(() => controller.abort(OUTPUT_CLOSED)) : () => {};
  const dispose = () => {
    process.off('SIGINT', onSigint);
    unhear();
  };
  return { signal: controller.signal, dispose };
}
