import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFailureReason } from './openError.js';

const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('writeFailureReason', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is the plain reason on a writable file system, and leaves no probe file behind', () => {
    dir = mkdtempSync(join(tmpdir(), 'write-failure-'));
    const path = join(dir, 'events.db');
    expect(writeFailureReason(sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'), path)).toBe('disk I/O error');
    expect(existsSync(`${path}.write-probe`)).toBe(false);
  });

  it('probes only for I/O errors: a full disk is named as such, without touching the directory', () => {
    const path = join(tmpdir(), 'no-such-dir-for-write-failure', 'events.db');
    expect(writeFailureReason(sqliteError('SQLITE_FULL', 'database or disk is full'), path)).toBe('the disk is full');
    expect(writeFailureReason(sqliteError('SQLITE_IOERR', 'disk I/O error'), path)).toBe('disk I/O error');
  });
});
