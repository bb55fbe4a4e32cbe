import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './logFile.js';
import { WAL_SIZE_LIMIT_BYTES } from './schema.js';

describe('the log file WAL after one large transaction', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is cut back to WAL_SIZE_LIMIT_BYTES once SQLite restarts it, where it kept its largest size before', () => {
    dir = mkdtempSync(join(tmpdir(), 'wal-limit-'));
    const path = join(dir, 'events.db');
    const { db } = openDatabase(path, 'normal');
    try {
      // One transaction larger than the limit (as a large retention delete writes), then copied into the file.
      const large = 'x'.repeat(WAL_SIZE_LIMIT_BYTES / 8);
      const put = db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)');
      db.transaction(() => {
        for (let i = 0; i < 10; i++) put.run(`large-${i}`, large);
      })();
      const peak = statSync(`${path}-wal`).size;
      expect(peak).toBeGreaterThan(WAL_SIZE_LIMIT_BYTES);
      db.exec("DELETE FROM meta WHERE key LIKE 'large-%'");
      db.pragma('wal_checkpoint(PASSIVE)');
      // The next commit starts the WAL over from its beginning, and cuts the file.
      put.run('small', '1');
      expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(WAL_SIZE_LIMIT_BYTES);
    } finally {
      db.close();
    }
  });
});
