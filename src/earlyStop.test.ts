import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { earlyStop } from './earlyStop.js';

/** Signals from an emitter; lines written and exit codes recorded. */
function harness(logLevel: string | undefined, writeLine?: (line: string) => void) {
  const signals = new EventEmitter();
  const lines: string[] = [];
  const exits: number[] = [];
  const stop = earlyStop({
    signals,
    logLevel,
    writeLine: writeLine ?? ((line) => lines.push(line)),
    exit: (code) => exits.push(code),
    now: () => new Date('2026-12-07T10:00:00.000Z'),
    pid: 4242,
    hostname: 'vm',
  });
  return { signals, lines, exits, stop };
}

describe('earlyStop', () => {
  it('exits 0 on SIGTERM or SIGINT with one line in pino shape', () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const { signals, lines, exits } = harness(undefined);
      signals.emit(signal);
      expect(exits).toEqual([0]);
      expect(lines.map((line) => JSON.parse(line))).toEqual([
        {
          level: 30,
          time: '2026-12-07T10:00:00.000Z',
          pid: 4242,
          hostname: 'vm',
          signal,
          msg: 'stopped before it was ready',
        },
      ]);
    }
  });

  it('leaves the line out when LOG_LEVEL asks for less than info, in any spelling LOG_LEVEL takes', () => {
    for (const level of ['warn', ' WARNING ', 'error', 'Critical', 'fatal', 'silent']) {
      const { signals, lines, exits } = harness(level);
      signals.emit('SIGTERM');
      expect([lines, exits], level).toEqual([[], [0]]);
    }
    for (const level of ['info', 'debug', 'trace', '']) {
      const { signals, lines } = harness(level);
      signals.emit('SIGTERM');
      expect(lines, level).toHaveLength(1);
    }
  });

  it('still exits 0 when standard output is gone (EPIPE)', () => {
    const { signals, exits } = harness('info', () => {
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    });
    signals.emit('SIGINT');
    expect(exits).toEqual([0]);
  });

  it('hands the signals over: after handOver it takes none, and leaves no listener of its own', () => {
    const { signals, lines, exits, stop } = harness('info');
    stop.handOver();
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
    signals.emit('SIGTERM');
    expect([lines, exits]).toEqual([[], []]);
  });
});
