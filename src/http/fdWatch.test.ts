import { describe, expect, it } from 'vitest';
import { CapturingLogger } from '../../test/support/capturingLogger.js';
import { FdWatch, softNofileLimit } from './fdWatch.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63704                63704                processes
Max open files            512                  4096                 files
Max locked memory         8388608              8388608              bytes
`;

describe('FdWatch', () => {
  it('reads the soft limit from /proc/self/limits; unlimited or missing is null', () => {
    expect(softNofileLimit(LIMITS)).toBe(512);
    expect(softNofileLimit(LIMITS.replace('512  ', 'unlimited'))).toBeNull();
    expect(softNofileLimit('')).toBeNull();
  });

  it('refuses from 90% of the limit until below 80%, with one line each way', () => {
    let open = 100;
    const logger = new CapturingLogger();
    const fds = new FdWatch(200, () => open, logger);
    fds.sample();
    expect(fds.refuse()).toBeNull();
    open = 180;
    fds.sample();
    expect(fds.refuse()).toBe(
      'too many open files: 180 of the limit 200 (RLIMIT_NOFILE); new WebSocket connections are refused until fewer than 160 are open',
    );
    expect(fds.reason()).toContain('RLIMIT_NOFILE');
    // Between the marks it keeps refusing: no flapping at the line.
    open = 165;
    fds.sample();
    expect(fds.refuse()).not.toBeNull();
    open = 159;
    fds.sample();
    expect(fds.refuse()).toBeNull();
    expect(fds.reason()).toBeNull();
    expect(logger.lines.map((l) => [l.level, l.obj])).toEqual([
      ['warn', { open_fds: 180, max_fds: 200, resume_below: 160 }],
      ['info', { open_fds: 159, max_fds: 200, refused: 2 }],
    ]);
  });

  it('follows a limit changed on the running process (prlimit), keeping the last when it cannot be read', () => {
    let open = 190;
    let limit: number | null = 20_000;
    const fds = new FdWatch(
      20_000,
      () => open,
      new CapturingLogger(),
      undefined,
      () => limit,
    );
    fds.sample();
    expect(fds.refuse()).toBeNull();
    limit = 200;
    fds.sample();
    expect(fds.refuse()).toBe(
      'too many open files: 190 of the limit 200 (RLIMIT_NOFILE); no new connection is accepted until fewer than 160 are open',
    );
    expect(fds.accepting).toBe(false);
    // Unreadable (EMFILE reading /proc/self/limits): the last limit stands.
    limit = null;
    open = 170;
    fds.sample();
    expect(fds.reason()).toContain('170 of the limit 200');
    limit = 1_000;
    fds.sample();
    expect([fds.reason(), fds.accepting]).toEqual([null, true]);
  });

  it('counts each upgrade taken until the next count, so a burst between sweeps stops at the line', () => {
    const fds = new FdWatch(100, () => 85, new CapturingLogger());
    fds.sample();
    for (let i = 0; i < 4; i++) fds.accepted();
    expect(fds.refuse()).toBeNull();
    fds.accepted();
    expect(fds.refuse()).toContain('90 of the limit 100');
  });

  it('counts one sample in ten while under half the refusal line, and every one once upgrades bring it there', () => {
    let counts = 0;
    const counted = (open: number) => () => {
      counts++;
      return open;
    };
    const fds = new FdWatch(1_000, counted(10), new CapturingLogger());
    for (let i = 0; i < 20; i++) fds.sample();
    expect(counts).toBe(2);
    // 440 upgrades taken since the count of 10: 450, half of the line (900), so the next sample counts.
    for (let i = 0; i < 440; i++) fds.accepted();
    fds.sample();
    expect(counts).toBe(3);
    const busy = new FdWatch(1_000, counted(600), new CapturingLogger());
    counts = 0;
    for (let i = 0; i < 5; i++) busy.sample();
    expect(counts).toBe(5);
  });

  it('stops accepting from 95% of the limit until below 80%, one line each way, and says so on /readiness', () => {
    let open = 100;
    const logger = new CapturingLogger();
    const fds = new FdWatch(200, () => open, logger);
    fds.sample();
    expect(fds.accepting).toBe(true);
    open = 185; // past 90%: upgrades refused, connections still accepted
    fds.sample();
    expect([fds.accepting, fds.refuse() !== null]).toEqual([true, true]);
    open = 190;
    fds.sample();
    expect(fds.accepting).toBe(false);
    expect(fds.reason()).toBe(
      'too many open files: 190 of the limit 200 (RLIMIT_NOFILE); no new connection is accepted until fewer than 160 are open',
    );
    open = 170;
    fds.sample();
    expect(fds.accepting).toBe(false);
    open = 159;
    fds.sample();
    expect([fds.accepting, fds.reason()]).toEqual([true, null]);
    expect(logger.lines.map((l) => [l.level, l.obj])).toEqual([
      ['warn', { open_fds: 185, max_fds: 200, resume_below: 160 }],
      ['warn', { open_fds: 190, max_fds: 200, resume_below: 160 }],
      ['info', { open_fds: 159, max_fds: 200, refused: 1 }],
    ]);
  });

  it('takes a count that fails for want of a descriptor as the limit reached, and survives any other failure', () => {
    let failure: Error | null = Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    const logger = new CapturingLogger();
    const fds = new FdWatch(
      200,
      () => {
        if (failure !== null) throw failure;
        return 20;
      },
      logger,
    );
    // Before: the throw left the sweep, and the process ended on the uncaught exception.
    fds.sample();
    expect([fds.accepting, fds.reason()]).toEqual([false, expect.stringContaining('200 of the limit 200')]);
    failure = new Error('something else');
    fds.sample();
    expect(fds.accepting).toBe(false);
    expect(logger.lines.at(-1)).toMatchObject({ level: 'error' });
    failure = null;
    fds.sample();
    expect(fds.accepting).toBe(true);
  });

  it('counts at once while far from the line when descriptor number `low` is open (a flood between two counts)', () => {
    let counts = 0;
    let open = 10;
    const probed: number[] = [];
    const fds = new FdWatch(
      1_000,
      () => {
        counts++;
        return open;
      },
      new CapturingLogger(),
      (fd) => {
        probed.push(fd);
        return open > fd;
      },
    );
    fds.sample();
    fds.sample();
    expect(counts).toBe(1);
    open = 990;
    fds.sample();
    expect([counts, fds.accepting]).toEqual([2, false]);
    expect(probed).toEqual([800, 800]);
  });

  it('watches nothing without a limit', () => {
    const fds = new FdWatch(null, () => 1e9, new CapturingLogger());
    fds.sample();
    fds.accepted();
    expect(fds.refuse()).toBeNull();
  });
});
