import type { Answer, SupervisorParts } from './supervisorEvent.js';

/** Run one unit of the supervisor's own work; a throw is logged, never allowed to stop the root. */
export function guarded(parts: SupervisorParts, during: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    parts.logger.error({ err: error, during }, 'supervised work failed; continuing');
  }
}

/** Answer a request with what `fn` returns, or the error it throws. */
export function answer<T>(reply: Answer<T>, fn: () => T): void {
  let value: T;
  try {
    value = fn();
  } catch (error) {
    reply({ ok: false, error });
    return;
  }
  reply({ ok: true, value });
}
