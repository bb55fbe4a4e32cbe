import { existsSync, readFileSync } from 'node:fs';

/** The package version, found by walking up from this file (src/ in tests, dist/src/ when built). */
export function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    if (existsSync(new URL('package.json', dir))) {
      return (JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { version: string }).version;
    }
  }
  return 'unknown';
}
