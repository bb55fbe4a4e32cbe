import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { bin: Record<string, string> }).bin;

describe("the package's bin after npm run build", () => {
  it('is executable, so `npx event-pipeline` runs it', async () => {
    expect(Object.keys(BIN)).toEqual(['event-pipeline']);
    const file = `${ROOT}${BIN['event-pipeline']}`;
    // Before: tsc wrote it 0644 and `npx event-pipeline` said `sh: 1: event-pipeline: Permission denied`, exit 127.
    expect((statSync(file).mode & 0o111).toString(8)).toBe('111');
    // Run as the shell runs it: the file itself, its `#!/usr/bin/env node` finding node on PATH.
    const proc = spawn(file, ['--help'], {
      env: { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise((resolve) => proc.once('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toContain('usage: event-pipeline');
  });
});
