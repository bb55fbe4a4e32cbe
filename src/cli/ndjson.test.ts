import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from './command.js';
import { checkInputFile } from './ndjson.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('checkInputFile', () => {
  it('accepts stdin (no path or -) and a readable file', () => {
    dir = mkdtempSync(join(tmpdir(), 'ndjson-'));
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, '{}\n');
    expect(() => checkInputFile(undefined)).not.toThrow();
    expect(() => checkInputFile('-')).not.toThrow();
    expect(() => checkInputFile(file)).not.toThrow();
    // A pipe or a device reads like a file: `--file <(cmd)`, `--file /dev/null`.
    expect(() => checkInputFile('/dev/null')).not.toThrow();
  });

  it('refuses a missing path and a directory with a UsageError naming --file', () => {
    dir = mkdtempSync(join(tmpdir(), 'ndjson-'));
    const missing = join(dir, 'nope.ndjson');
    expect(() => checkInputFile(missing)).toThrow(new UsageError(`--file: no such file: ${missing}`));
    expect(() => checkInputFile(dir)).toThrow(new UsageError(`--file: is a directory: ${dir}`));
  });
});
