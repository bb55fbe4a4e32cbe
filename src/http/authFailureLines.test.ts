import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapturingLogger } from '../../test/support/capturingLogger.js';
import { AUTH_COUNTED_CLIENTS, AUTH_LINES_PER_WINDOW, AUTH_WINDOW_MS, AuthFailureLines } from './authFailureLines.js';

function lines() {
  const clock = { now: 0 };
  const logger = new CapturingLogger();
  return { clock, logger, auth: new AuthFailureLines(logger, () => clock.now) };
}

describe('AuthFailureLines', () => {
  it('writes the first ten of a minute in full, the tenth saying the rest are counted, then one line summing them', () => {
    const { clock, logger, auth } = lines();
    for (let i = 0; i < 9_400; i++) auth.failed({ client: i % 4 === 0 ? '10.0.0.2' : '10.0.0.1', path: '/stats' });
    auth.failed({ client: '10.0.0.3' });
    expect(logger.lines).toHaveLength(AUTH_LINES_PER_WINDOW);
    expect(logger.lines.every((l) => l.level === 'warn' && l.msg === 'authentication failed')).toBe(true);
    expect(logger.lines[0]!.obj).toEqual({ client: '10.0.0.2', path: '/stats' });
    expect(logger.lines.at(-1)!.obj.further).toBe('counted, then summed in one line when 60 s have passed');
    clock.now = AUTH_WINDOW_MS - 1;
    auth.tick();
    expect(logger.lines).toHaveLength(AUTH_LINES_PER_WINDOW);
    clock.now = AUTH_WINDOW_MS;
    auth.tick();
    expect(logger.lines.at(-1)).toEqual({
      level: 'warn',
      msg: 'authentication failed more times than logged',
      obj: { times: 9_391, clients: 3, top_clients: '10.0.0.1 (7043), 10.0.0.2 (2347), 10.0.0.3 (1)' },
    });
    // A new window writes in full again; a quiet one writes nothing at its end.
    auth.failed({ client: '10.0.0.1' });
    expect(logger.lines.at(-1)!.obj).toEqual({ client: '10.0.0.1' });
    clock.now += AUTH_WINDOW_MS;
    auth.tick();
    expect(logger.lines.at(-1)!.obj).toEqual({ client: '10.0.0.1' });
  });

  it('sums an open window at once when asked to end it (shutdown), so no count is lost with the process', () => {
    const { logger, auth } = lines();
    for (let i = 0; i < AUTH_LINES_PER_WINDOW + 3; i++) auth.failed({ client: '10.0.0.9' });
    auth.tick();
    expect(logger.lines).toHaveLength(AUTH_LINES_PER_WINDOW);
    auth.tick(true);
    expect(logger.lines.at(-1)!.obj).toEqual({ times: 3, clients: 1, top_clients: '10.0.0.9 (3)' });
  });

  it('counts at most AUTH_COUNTED_CLIENTS addresses one by one and sums the rest as others', () => {
    const { clock, logger, auth } = lines();
    const total = AUTH_LINES_PER_WINDOW + AUTH_COUNTED_CLIENTS + 500;
    for (let i = 0; i < total; i++) auth.failed({ client: `10.1.${i >> 8}.${i & 255}` });
    clock.now = AUTH_WINDOW_MS;
    auth.tick();
    const summary = logger.lines.at(-1)!.obj;
    expect(summary.times).toBe(AUTH_COUNTED_CLIENTS + 500);
    expect(summary.clients).toBe(`over ${AUTH_COUNTED_CLIENTS}`);
    expect(String(summary.top_clients).split(', ')).toHaveLength(6);
    expect(summary.top_clients).toMatch(/, others \(500\)$/);
  });

  it('accounts for every failure: lines written plus the times summed equal the failures, whatever their timing', () => {
    const failure = fc.record({ gap: fc.nat(2 * AUTH_WINDOW_MS), client: fc.constantFrom('a', 'b', 'c') });
    fc.assert(
      fc.property(fc.array(failure, { maxLength: 300 }), (failures) => {
        const { clock, logger, auth } = lines();
        for (const { gap, client } of failures) {
          clock.now += gap;
          auth.failed({ client });
        }
        clock.now += AUTH_WINDOW_MS;
        auth.tick();
        const full = logger.lines.filter((l) => l.msg === 'authentication failed').length;
        const summed = logger.lines
          .filter((l) => l.msg === 'authentication failed more times than logged')
          .reduce((sum, l) => sum + Number(l.obj.times), 0);
        expect(full + summed).toBe(failures.length);
      }),
    );
  });
});
