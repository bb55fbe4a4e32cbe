import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  readonly version?: string;
  readonly hasInstallScript?: boolean;
}

const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, LockEntry>;
};
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  allowScripts?: Record<string, boolean>;
};

const atLeast = (version: string, minimum: readonly number[]): boolean => {
  const parts = version.split(/[.-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) if (parts[i] !== minimum[i]) return (parts[i] ?? 0) > (minimum[i] ?? 0);
  return true;
};

describe('package-lock.json', () => {
  it('holds no ws older than 8.17.1 (CVE-2024-37890), also not under uWebSockets.js', () => {
    const ws = Object.entries(lock.packages).filter(
      ([path]) => path === 'node_modules/ws' || path.endsWith('/node_modules/ws'),
    );
    expect(ws.length).toBeGreaterThan(0);
    for (const [path, entry] of ws)
      expect(atLeast(entry.version ?? '0.0.0', [8, 17, 1]), `${path}@${entry.version}`).toBe(true);
    expect(lock.packages['node_modules/uWebSockets.js/node_modules/ws']).toBeUndefined();
  });

  it('has an allowScripts decision for every package with an install script, so npm ci neither warns nor skips', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts).toContain('better-sqlite3');
    expect(Object.keys(pkg.allowScripts ?? {}).sort()).toEqual([...withScripts].sort());
    // Hint: better-sqlite3 must build (or fetch) its native binding; the two optional ws helpers are not needed, and
    // swagger-ui-dist's @scarf/scarf install script only reports downloads (no network here, none wanted in CI).
    expect(pkg.allowScripts).toEqual({
      '@scarf/scarf': false,
      'better-sqlite3': true,
      bufferutil: false,
      'utf-8-validate': false,
    });
  });
});
