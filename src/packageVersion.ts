import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** The package's directory, found by walking up from this file (src/ in tests, dist/src/ when built), or null. */
function packageDir(): URL | null {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir))
    if (existsSync(new URL('package.json', dir))) return dir;
  return null;
}

/** The package version. */
export function packageVersion(): string {
  const dir = packageDir();
  if (dir === null) return 'unknown';
  return (JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { version: string }).version;
}

/**
 * The commit this server runs, when it runs from a git checkout (`git describe --always --dirty`: a short id, with
 * `-dirty` for uncommitted changes), else null. Why (probe): every build answered version 0.1.0, so an operator could
 * not tell which nodes of a cluster ran which build while upgrading.
 */
export function buildId(): string | null {
  const dir = packageDir();
  if (dir === null || !existsSync(new URL('.git', dir))) return null;
  try {
    const id = execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2_000,
    }).trim();
    return id === '' ? null : id;
  } catch {
    return null;
  }
}

let running: { readonly id: string | null } | null = null;

/**
 * buildId() of this process, read once, when first asked. Hint: not at import: the CLI and `--help` import this
 * module too, and each would have run git for nothing.
 */
export function runningBuild(): string | null {
  running ??= { id: buildId() };
  return running.id;
}
