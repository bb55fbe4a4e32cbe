import type { Logger } from '../actors/logger.js';

/**
 * Run one uWS callback so that nothing it throws escapes into uWS (an exception there ends the process): the
 * error is logged once and `recover` answers the peer. A failing `recover` is logged too, never rethrown.
 */
export function guarded(logger: Logger, where: string, fn: () => void, recover: () => void = () => {}): void {
  try {
    fn();
  } catch (error) {
    handlerFailed(logger, where, error, recover);
  }
}

/** What `guarded` does with an error `where` threw, for a hot path that catches it itself (no closure per call). */
export function handlerFailed(logger: Logger, where: string, error: unknown, recover: () => void): void {
  logger.error({ err: error, during: where }, 'WebSocket handler failed; answered with an internal error');
  try {
    recover();
  } catch (again) {
    logger.error({ err: again, during: `${where} recovery` }, 'WebSocket error reply failed');
  }
}
