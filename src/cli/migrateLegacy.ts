import { existsSync } from 'node:fs';
import { customAlphabet } from 'nanoid';
import { checkDatabasePath } from '../persistence/databasePath.js';
import { LogLockedError, LogOpenError } from '../persistence/eventLog.js';
import { SqliteImportLog } from '../persistence/importLog.js';
import { LegacyEvents } from '../persistence/legacyEvents.js';
import {
  blockedFileWhy,
  eventCount,
  foreignFileRefusal,
  readLogFileContent,
  rollBackAdvice,
  tableList,
} from '../persistence/logFileContent.js';
import { offsetIds } from '../protocol/offsetIds.js';
import { CliError, type CliIo, type Command, EXIT, parse, UsageError } from './command.js';
import { copyEvents } from './legacyCopy.js';
import { type Outcome, summary } from './migrateLegacySummary.js';
import { sigintStop } from './sigintStop.js';

const USAGE = `usage: event-pipeline migrate-legacy --from FILE --to FILE

Carry the events of the FastAPI service (the Python service this server replaces) over into a new log, offline: the
server need not run, and must not run on --to. --from is only read, never written. Every event keeps its id,
event_type, source, session_id, user_id, payload and timestamp; they go in time order (events at the same time in
the order the FastAPI service stored them), at offsets 1, 2, 3, … Type counts (/stats) and session statuses
(/sessions) are derived from them as the server derives them; the FastAPI service's event_stats table is not copied.
Timestamps keep milliseconds: the FastAPI service wrote microseconds (10:00:00.123456Z becomes 10:00:00.123Z).

A row that cannot be stored as it is (a payload that is not a JSON object, an event_type this server does not know, a
timestamp that is not ISO 8601, an id an earlier event already has, …) is skipped and named on stderr with its rowid, id and reason; the rest are
migrated, and the exit code is 1. A NULL or empty payload is {}, as the FastAPI service served it, and an empty
session_id or user_id (which it took and this server refuses) is stored as null, and counted.

--to must be absent, empty, or a log of this server without events. A run that fails or is stopped part way leaves
a partial log there, which the server refuses to open: delete it (with its -wal, -shm and .index files) and run
again.

  --from FILE        the FastAPI service's database (its DATABASE_PATH; by default data/events.db)
  --to FILE          the new log; then start the server with DATABASE_PATH set to it
  -h, --help         this help

exit codes: 0 every event migrated, 1 some rows skipped (named on stderr) or writing failed, 2 usage, or a --from or
            --to that cannot be used (named), 130 interrupted (Ctrl-C: it stops after the batch under way)`;

/** Why --from is not a FastAPI service database to migrate, or null. */
function sourceProblem(from: string): string | null {
  const content = readLogFileContent(from);
  switch (content.kind) {
    case 'legacy':
      return null;
    case 'none':
      return existsSync(from) ? 'holds no tables: nothing to migrate' : 'does not exist';
    case 'log':
    case 'newer':
      return 'is already a log of this server: serve it as it is (DATABASE_PATH)';
    case 'foreign':
      return `is an SQLite database of something else (tables: ${tableList(content.tables)}), not the FastAPI service's`;
    case 'unreadable': {
      const why = blockedFileWhy(from, content);
      if (why === null) return `cannot be read (${content.reason})`;
      return `cannot be read without changing it: ${why}; it was left untouched. ${rollBackAdvice(from)}; then run again`;
    }
  }
}

/** Why --to cannot take the new log, or null: it must be absent, empty, or a log that never held an event. */
function targetProblem(to: string): string | null {
  const content = readLogFileContent(to);
  if (content.kind === 'legacy')
    return `holds the FastAPI service's events (${eventCount(content.events)}): the new log must be another file`;
  if (content.kind === 'foreign')
    return `is an SQLite database of something else (tables: ${tableList(content.tables)}): name a new file`;
  if (content.kind === 'newer' || (content.kind === 'log' && content.unfinishedMigration !== null))
    return foreignFileRefusal(to);
  if (content.kind === 'log' && content.head > 0) return holdsLog(content.head);
  return checkDatabasePath(to);
}

/** Why a log that already has offsets cannot be the target. */
function holdsLog(head: number): string {
  return (
    `already holds a log (offsets up to ${head}); migrate into a new file (a run that stopped part way leaves ` +
    'one: delete it, with its -wal, -shm and .index files, and run again)'
  );
}

/** Open (or make) the new log; refused when it already holds events. */
function openTarget(to: string, io: CliIo): SqliteImportLog {
  let log: SqliteImportLog;
  try {
    log = new SqliteImportLog({
      path: to,
      // Hint: each checkpoint syncs the file, and closing the log checkpoints all of it: it is on disk at the end.
      durability: 'normal',
      indexer: 'inline',
      newId: offsetIds('evt_'),
      newEpoch: customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 16),
      onNotice: (message) => io.stderr.write(`migrate-legacy: ${message}\n`),
    });
  } catch (error) {
    if (error instanceof LogLockedError || error instanceof LogOpenError)
      throw new CliError(`--to ${error.message}`, EXIT.usage);
    throw error;
  }
  const head = log.headOffset();
  if (head === 0) return log;
  log.close();
  throw new CliError(`--to ${to}: ${holdsLog(head)}`, EXIT.usage);
}

/** The error of a run that stopped part way, leaving a partial log at `to`. */
function partialLog(to: string, what: string, exitCode: number): CliError {
  return new CliError(
    `${what}; ${to} holds a partial log, which a server refuses to open: delete it, with its -wal, -shm and .index ` +
      'files, and run again',
    exitCode,
  );
}

/**
 * Copy the events of `from` into a new log at `to`; both are closed whatever happens. The log is marked unfinished
 * until the end (LogFileContent's `unfinishedMigration`), so a run killed part way leaves a file no server serves.
 */
async function migrate(from: string, to: string, io: CliIo): Promise<Outcome> {
  const source = new LegacyEvents(from);
  try {
    const log = openTarget(to, io);
    const outcome: Outcome = {
      total: source.count(),
      migrated: 0,
      skipped: 0,
      emptied: 0,
      ahead: 0,
      latest: 0,
      startedAt: Date.now(),
      first: null,
      last: null,
      sessions: 0,
    };
    const stop = sigintStop(false);
    try {
      log.markMigrating(from);
      const done = await copyEvents(source, log, io, outcome, stop.signal);
      if (!done) throw partialLog(to, `interrupted after ${eventCount(outcome.migrated)}`, EXIT.interrupted);
      log.markMigrated();
      return outcome;
    } catch (error) {
      if (error instanceof CliError) throw error;
      // Hint: a failed append is a LogWriteError whose cause says why (the disk is full, …).
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      const why = cause instanceof Error ? cause.message : String(cause);
      throw partialLog(to, `writing ${to} failed after ${eventCount(outcome.migrated)} (${why})`, EXIT.failed);
    } finally {
      stop.dispose();
      log.close();
    }
  } finally {
    source.close();
  }
}

/** `event-pipeline migrate-legacy`. */
export const migrateLegacyCommand: Command = {
  name: 'migrate-legacy',
  summary: "copy the FastAPI service's database into a new log (offline; the old file is only read)",
  usage: USAGE,
  run: async (args, io) => {
    const { values } = parse(args, {
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help === true) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const { from, to } = values;
    if (from === undefined || to === undefined) throw new UsageError('--from and --to are both required');
    const fromProblem = sourceProblem(from);
    if (fromProblem !== null) throw new CliError(`--from ${from}: ${fromProblem}`, EXIT.usage);
    const toProblem = targetProblem(to);
    if (toProblem !== null) throw new CliError(`--to ${to}: ${toProblem}`, EXIT.usage);
    const outcome = await migrate(from, to, io);
    io.stderr.write(`${summary(from, to, outcome)}\n`);
    return outcome.skipped > 0 ? EXIT.failed : EXIT.ok;
  },
};
