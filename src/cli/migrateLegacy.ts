import { existsSync } from 'node:fs';
import { customAlphabet } from 'nanoid';
import { catchUpSessions } from '../actors/sessionCatchUp.js';
import { checkDatabasePath } from '../persistence/databasePath.js';
import { LogLockedError, LogOpenError } from '../persistence/eventLog.js';
import { SqliteImportLog, type StampedEvent } from '../persistence/importLog.js';
import { LegacyEvents } from '../persistence/legacyEvents.js';
import {
  blockedFileWhy,
  eventCount,
  readLogFileContent,
  rollBackAdvice,
  tableList,
} from '../persistence/logFileContent.js';
import { formatIssues, type Issue, previewValue } from '../protocol/issue.js';
import { type LegacyRow, parseLegacyRow } from '../protocol/legacyEvent.js';
import { offsetIds } from '../protocol/offsetIds.js';
import { CliError, type CliIo, type Command, EXIT, parse, printable, UsageError } from './command.js';
import { type Outcome, summary } from './migrateLegacySummary.js';
import { progressBar } from './progressBar.js';

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
a partial log there: delete it (with its -wal, -shm and .index files) and run again.

  --from FILE        the FastAPI service's database (its DATABASE_PATH; by default data/events.db)
  --to FILE          the new log; then start the server with DATABASE_PATH set to it
  -h, --help         this help

exit codes: 0 every event migrated, 1 some rows skipped (named on stderr) or writing failed, 2 usage, or a --from or
            --to that cannot be used (named)`;

/** Events per transaction of the new log. */
const BATCH = 5_000;

/** Why --from is not a FastAPI service database to migrate, or null. */
function sourceProblem(from: string): string | null {
  const content = readLogFileContent(from);
  switch (content.kind) {
    case 'legacy':
      return null;
    case 'none':
      return existsSync(from) ? 'holds no tables: nothing to migrate' : 'does not exist';
    case 'log':
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

/** The stderr line naming a row that was not migrated, and why. */
function skippedLine(row: LegacyRow, issues: readonly Issue[]): string {
  return printable(`migrate-legacy: skipped rowid ${row.rowid} (id ${previewValue(row.id)}): ${formatIssues(issues)}`);
}

/**
 * Why an event cannot take its id, or null. Hint: the FastAPI service's table has `id` as its primary key, but a
 * file made or altered by hand may repeat one; the first in time order keeps it, as GET /events/{id} finds one event.
 */
function duplicateIssue(id: string, log: SqliteImportLog, batchIds: ReadonlyMap<string, number>): Issue | null {
  const rowid = batchIds.get(id);
  const offset = rowid === undefined ? log.offsetOfId(id) : null;
  if (rowid === undefined && offset === null) return null;
  const first = rowid === undefined ? `the event migrated at offset ${offset}` : `rowid ${rowid}`;
  return { field: 'id', message: `is the id of ${first}, which comes first in time: ids must be unique` };
}

/** Append every row that can be stored, in batches, naming the others; then fold the sessions. */
function copyEvents(source: LegacyEvents, log: SqliteImportLog, io: CliIo, outcome: Outcome): void {
  const bar = progressBar(io, outcome.total, 'migrate-legacy');
  let batch: StampedEvent[] = [];
  // Hint: the ids of the batch not yet written, which the log cannot look up (rowids, to name the first).
  const batchIds = new Map<string, number>();
  let read = 0;
  const skip = (row: LegacyRow, issues: readonly Issue[]) => {
    outcome.skipped++;
    io.stderr.write(`${skippedLine(row, issues)}\n`);
  };
  const flush = () => {
    const records = log.appendStamped(batch);
    outcome.first ??= records[0] ?? null;
    outcome.last = records.at(-1) ?? outcome.last;
    outcome.migrated += records.length;
    batch = [];
    batchIds.clear();
    bar.update(read);
  };
  try {
    for (const row of source.rows()) {
      read++;
      const parsed = parseLegacyRow(row);
      if (!parsed.ok) {
        skip(row, parsed.issues);
        continue;
      }
      const duplicate = duplicateIssue(parsed.value.input.id, log, batchIds);
      if (duplicate !== null) {
        skip(row, [duplicate]);
        continue;
      }
      batchIds.set(parsed.value.input.id, row.rowid);
      if (parsed.value.emptied) outcome.emptied++;
      if (parsed.value.ts > outcome.startedAt) {
        outcome.ahead++;
        outcome.latest = Math.max(outcome.latest, parsed.value.ts);
      }
      batch.push(parsed.value);
      if (batch.length >= BATCH) flush();
    }
    if (batch.length > 0) flush();
  } finally {
    bar.stop();
  }
  // Hint: the index is built now, and the session statuses folded as the server's start would, so its first start
  // on the new log has nothing to catch up.
  log.indexTail();
  outcome.sessions = catchUpSessions(log);
}

/** Copy the events of `from` into a new log at `to`; both are closed whatever happens. */
function migrate(from: string, to: string, io: CliIo): Outcome {
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
    try {
      copyEvents(source, log, io, outcome);
      return outcome;
    } catch (error) {
      // Hint: a failed append is a LogWriteError whose cause says why (the disk is full, …).
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      throw new CliError(
        `writing ${to} failed after ${eventCount(outcome.migrated)} (${cause instanceof Error ? cause.message : cause}); ` +
          'it holds a partial log: delete it, with its -wal, -shm and .index files, and run again',
        EXIT.failed,
      );
    } finally {
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
    const outcome = migrate(from, to, io);
    io.stderr.write(`${summary(from, to, outcome)}\n`);
    return outcome.skipped > 0 ? EXIT.failed : EXIT.ok;
  },
};
