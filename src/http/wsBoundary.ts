import type { Logger } from '../actors/logger.js';

/**
 * Run one uWS callback so that nothing it throws escapes into uWS (an exception there ends the process): the
 * error is logged once and `recover` answers the peer. A failing `recover` is logged too, never rethrown.
 */
export function guarded(logger: Logger, where: string, fn: () => void, recover: () => void = () => {}): void {
  try {
    fn();
  } catch (error) {
    logger.error({ err: error, during: where }, 'WebSocket handler failed; answered with an internal error');
    try {
      recover();
    } catch (again) {
      logger.error({ err: again, during: `${where} recovery` }, 'WebSocket error reply failed');
    }
  }
}
