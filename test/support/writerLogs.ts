import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../../src/persistence/sqliteEventLog.js';
import type { SqliteEventLogOptions } from '../../src/persistence/sqliteEventLogOptions.js';

/** Logs on one writer setting, each in a temp dir unless a path is given; `cleanup` closes them and removes the dirs. */
export function writerLogs(writer: NonNullable<SqliteEventLogOptions['writer']>, prefix: string) {
  const dirs: string[] = [];
  const logs: SqliteEventLog[] = [];
  return {
    open(
      path?: string,
      extra: Partial<Pick<SqliteEventLogOptions, 'busyTimeoutMs' | 'onNotice'>> = {},
    ): { log: SqliteEventLog; path: string } {
      const at = path ?? join(mkdtempSync(join(tmpdir(), prefix)), 'events.db');
      if (path === undefined) dirs.push(join(at, '..'));
      let ids = 0;
      // Hint: a tiny index chunk makes reads cross indexed chunks and the in-memory tail.
      const log = new SqliteEventLog({
        path: at,
        writer,
        indexChunk: 7,
        newId: () => `gen-${Date.now()}-${++ids}`,
        newEpoch: () => 'e',
        ...extra,
      });
      logs.push(log);
      return { log, path: at };
    },
    cleanup(): void {
      for (const log of logs.splice(0)) log.close();
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
