import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MAIN_JS, spawnMain } from './support/childServer.js';

/**
 * A signal in the first moments of a start, while the server's modules still load. Before: the handlers were set
 * once main() ran, after every module had loaded (~150 ms), so a SIGTERM then met Node's default action: exit 143,
 * no line (a probe: signals 10-150 ms after the spawn). The moment is made exact here, not timed: a module hook in the
 * child signals its own process when pino (the first package the server needs) is asked for, and never loads it.
 */
describe('a signal while the server is still loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigterm-early-'));
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `export async function load(url, context, nextLoad) {
  if (!url.includes('/node_modules/pino/')) return nextLoad(url, context);
  process.kill(process.pid, process.env.EARLY_SIGNAL);
  return new Promise(() => {});
}\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['SIGTERM', 'SIGINT'])(
    '%s: exits 0 at once with a line saying it stopped before it was ready, writing nothing',
    async (signal) => {
      const database = join(dir, `${signal}.db`);
      const { proc, exited, output } = spawnMain(
        { HOST: '127.0.0.1', PORT: '0', DATABASE_PATH: database, LOG_LEVEL: 'info', EARLY_SIGNAL: signal },
        [process.execPath, '--import', pathToFileURL(register).href, MAIN_JS],
        { PATH: process.env.PATH ?? '' },
      );
      const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000));
      try {
        expect(await Promise.race([exited, hung]), output()).toEqual({ code: 0, signal: null });
      } finally {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      }
      const lines = output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 30, signal, msg: 'stopped before it was ready' });
      expect(existsSync(database)).toBe(false);
    },
  );
});
