import { EXIT } from './command.js';

/**
 * An AbortSignal the first SIGINT aborts, so a long publish can stop reading, wait for its acks and print its
 * summary; a second SIGINT ends the process at once (by SIGINT: status 130), as an impatient user means it. `dispose`
 * restores the default.
 */
export function sigintStop(): { readonly signal: AbortSignal; dispose(): void } {
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
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}
