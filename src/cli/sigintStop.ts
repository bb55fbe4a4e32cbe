import { EXIT } from './command.js';

/**
 * An AbortSignal the first SIGINT aborts, so a long publish can stop reading, wait for its acks and print its
 * summary; a second SIGINT exits at once (130), as an impatient user means it. `dispose` restores the default.
 */
export function sigintStop(): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}
