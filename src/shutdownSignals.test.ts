import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { stopOnSignals } from './shutdownSignals.js';

/** Signals from an emitter, log lines and calls recorded, and a shutdown the test finishes when it wants. */
function harness() {
  const signals = new EventEmitter();
  const lines: string[] = [];
  const calls: string[] = [];
  let finish = () => {};
  stopOnSignals({
    signals,
    logger: {
      info: (fields, message) => lines.push(`info ${JSON.stringify(fields)} ${message}`),
      warn: (fields, message) => lines.push(`warn ${JSON.stringify(fields)} ${message}`),
    },
    close: () => {
      calls.push('close');
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    },
    exit: () => calls.push('exit'),
  });
  return { signals, lines, calls, finish: () => finish() };
}

describe('stopOnSignals', () => {
  it('shuts down once however many SIGTERM and SIGINT come during it, and exits after the shutdown', async () => {
    const { signals, lines, calls, finish } = harness();
    signals.emit('SIGTERM');
    signals.emit('SIGINT');
    signals.emit('SIGTERM');
    expect(calls).toEqual(['close']);
    // Node's default action (the process ended at once) applies only to a signal with no listener left.
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    expect(signals.listenerCount('SIGINT')).toBe(1);
    finish();
    await Promise.resolve();
    await Promise.resolve();
    expect(calls).toEqual(['close', 'exit']);
    expect(lines).toEqual([
      'info {"signal":"SIGTERM"} shutting down',
      'warn {"signal":"SIGINT"} already shutting down; SIGKILL stops at once (acknowledged events are kept either way)',
      'warn {"signal":"SIGTERM"} already shutting down; SIGKILL stops at once (acknowledged events are kept either way)',
      'info {} stopped',
    ]);
  });

  it('starts the shutdown on SIGINT alone', () => {
    const { signals, lines, calls } = harness();
    signals.emit('SIGINT');
    expect(calls).toEqual(['close']);
    expect(lines).toEqual(['info {"signal":"SIGINT"} shutting down']);
  });
});
