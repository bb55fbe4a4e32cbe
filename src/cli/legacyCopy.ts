import { catchUpSessions } from '../actors/sessionCatchUp.js';
import type { SqliteImportLog, StampedEvent } from '../persistence/importLog.js';
import type { LegacyEvents } from '../persistence/legacyEvents.js';
import { formatIssues, type Issue, previewValue } from '../protocol/issue.js';
import { type LegacyRow, parseLegacyRow } from '../protocol/legacyEvent.js';
import { type CliIo, printable } from './command.js';
import type { Outcome } from './migrateLegacySummary.js';
import { progressBar } from './progressBar.js';

/** Events per transaction of the new log. */
const BATCH = 5_000;

/** The stderr line naming a row that was not migrated, and why. */
export function skippedLine(row: LegacyRow, issues: readonly Issue[]): string {
  const shown = issues.map((issue) => ({ ...issue, field: shortPath(issue.field) }));
  return printable(`migrate-legacy: skipped rowid ${row.rowid} (id ${previewValue(row.id)}): ${formatIssues(shown)}`);
}

/** Characters of a field path a line shows at most. */
const PATH_SHOWN = 120;

/**
 * A field path cut in the middle when long. Hint: a payload nested 2,000 levels named its whole path
 * (`payload.a[0][0]…`), a stderr line of 3,105 characters; its start and its end say where.
 */
function shortPath(field: string): string {
  if (field.length <= PATH_SHOWN) return field;
  return `${field.slice(0, PATH_SHOWN - 40)}…(${field.length - PATH_SHOWN + 1} characters)…${field.slice(-39)}`;
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

/**
 * Append every row that can be stored, in batches, naming the others; then fold the sessions. Resolves false, the
 * sessions not folded, when `stop` aborted it between two batches. Hint: a turn of the event loop after each batch,
 * so a Ctrl-C is heard (it ended the process at once, saying nothing of the partial log left behind).
 */
export async function copyEvents(
  source: LegacyEvents,
  log: SqliteImportLog,
  io: CliIo,
  outcome: Outcome,
  stop: AbortSignal,
): Promise<boolean> {
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
      if (batch.length < BATCH) continue;
      flush();
      await new Promise((resolve) => setImmediate(resolve));
      if (stop.aborted) return false;
    }
    if (batch.length > 0) flush();
  } finally {
    bar.stop();
  }
  // Hint: the index is built now, and the session statuses folded as the server's start would, so its first start
  // on the new log has nothing to catch up.
  log.indexTail();
  outcome.sessions = catchUpSessions(log);
  return true;
}
