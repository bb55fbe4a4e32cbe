import { describe, expect, it } from 'vitest';
import { type LastResortOptions, lastResortHandler } from './lastResort.js';

interface Recorder {
  readonly lines: { obj: Record<string, unknown>; msg: string | undefined }[];
  readonly exits: number[];
  flushed: number;
  shutdowns: number;
}

function setup(
  shutdown: () => Promise<void> | null,
  graceMs = 5_000,
): { handle: (error: unknown, origin: string) => void; rec: Recorder } {
  const rec: Recorder = { lines: [], exits: [], flushed: 0, shutdowns: 0 };
  const options: LastResortOptions = {
    logger: { fatal: (obj, msg) => rec.lines.push({ obj: { ...obj }, msg }) },
    flushLog: () => void rec.flushed++,
    shutdown: () => {
      rec.shutdowns++;
      return shutdown();
    },
    exit: (code) => void rec.exits.push(code),
    graceMs,
  };
  return { handle: lastResortHandler(options), rec };
}

const until = async (condition: () => boolean): Promise<void> => {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('lastResortHandler', () => {
  it('logs the error at fatal level with its stack and origin, flushes, shuts down cleanly, then exits 1', async () => {
    let finish = (): void => {};
    const { handle, rec } = setup(() => new Promise<void>((resolve) => (finish = resolve)));
    const error = new RangeError('Maximum call stack size exceeded');
    handle(error, 'uncaughtException');
    expect(rec.lines).toHaveLength(1);
    expect(rec.lines[0]!.obj).toMatchObject({ err: error, origin: 'uncaughtException' });
    expect((rec.lines[0]!.obj.err as Error).stack).toContain('RangeError');
    expect(rec.lines[0]!.msg).toBe('uncaught error; shutting down');
    expect(rec.flushed).toBe(1);
    expect(rec.shutdowns).toBe(1);
    expect(rec.exits).toEqual([]);
    finish();
    await until(() => rec.exits.length > 0);
    expect(rec.exits).toEqual([1]);
  });

  it('logs a rejection that is not an Error with its type and text', () => {
    const { handle, rec } = setup(() => null);
    handle('plain string reason', 'unhandledRejection');
    expect(rec.lines[0]!.obj).toEqual({
      err: { type: 'string', message: 'plain string reason' },
      origin: 'unhandledRejection',
    });
    expect(rec.exits).toEqual([1]);
  });

  it('exits 1 at once when the server is not running yet', () => {
    const { handle, rec } = setup(() => null);
    handle(new Error('at startup'), 'uncaughtException');
    expect(rec.exits).toEqual([1]);
  });

  it('exits 1 after the grace period when the shutdown hangs', async () => {
    const { handle, rec } = setup(() => new Promise<void>(() => {}), 20);
    handle(new Error('stuck'), 'uncaughtException');
    await until(() => rec.exits.length > 0);
    expect(rec.exits).toEqual([1]);
  });

  it('exits 1 when the shutdown itself fails', async () => {
    const { handle, rec } = setup(() => Promise.reject(new Error('close failed')));
    handle(new Error('first'), 'uncaughtException');
    await until(() => rec.exits.length > 0);
    expect(rec.exits).toEqual([1]);
  });

  it('a second error during the shutdown is logged too and exits at once, without a second shutdown', () => {
    const { handle, rec } = setup(() => new Promise<void>(() => {}));
    handle(new Error('first'), 'uncaughtException');
    handle(new Error('second'), 'uncaughtException');
    expect(rec.lines.map((line) => line.msg)).toEqual([
      'uncaught error; shutting down',
      'uncaught error while shutting down; exiting now',
    ]);
    expect(rec.shutdowns).toBe(1);
    expect(rec.exits).toEqual([1]);
  });
});
