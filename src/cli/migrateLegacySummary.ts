import { eventCount, shellWord } from '../persistence/logFileContent.js';
import { formatTimestamp, type StoredEvent } from '../protocol/eventRecord.js';
import { printable } from './command.js';

/** What a migration did. */
export interface Outcome {
  readonly total: number;
  migrated: number;
  skipped: number;
  /** Events stored with a null session_id or user_id that was empty in the FastAPI service's file. */
  emptied: number;
  /** Events stamped later than the migration ran (a clock ahead on the old host), and the latest such time. */
  ahead: number;
  latest: number;
  first: StoredEvent | null;
  last: StoredEvent | null;
  sessions: number;
  readonly startedAt: number;
}

/** The summary lines. */
export function summary(from: string, to: string, outcome: Outcome): string {
  const { first, last } = outcome;
  const span =
    first === null || last === null
      ? ''
      : `: offsets ${first.offset}–${last.offset}, ${formatTimestamp(first.ts)} to ${formatTimestamp(last.ts)}`;
  const lines = [
    `migrated ${outcome.migrated.toLocaleString('en-US')} of ${eventCount(outcome.total)} from ${from} into ${to}` +
      `${span}; ${outcome.sessions.toLocaleString('en-US')} session${outcome.sessions === 1 ? '' : 's'} folded`,
  ];
  if (outcome.skipped > 0)
    lines.push(
      `${outcome.skipped.toLocaleString('en-US')} ${outcome.skipped === 1 ? 'row' : 'rows'} skipped (named above); ` +
        `to keep ${outcome.skipped === 1 ? 'it, correct it' : 'them, correct them'} in a copy of ${from} and migrate ` +
        'that copy into a new file',
    );
  if (outcome.emptied > 0)
    lines.push(`${eventCount(outcome.emptied)} had an empty session_id or user_id, which this log holds as null`);
  // Hint: a log's times never go back, so until the clock passes the latest of these, new events are stamped with it.
  if (outcome.ahead > 0)
    lines.push(
      `${eventCount(outcome.ahead)} stamped later than now (the latest ${formatTimestamp(outcome.latest)}): this ` +
        "log's times never go back, so events published before then get that time; if those stamps are wrong (a clock " +
        `ahead on the old host), correct them in a copy of ${from} and migrate that copy into a new file`,
    );
  lines.push(
    "timestamps keep milliseconds: the FastAPI service's microseconds are cut (10:00:00.123456Z is now 10:00:00.123Z)",
    `${from} was only read. Start the server on the new log: DATABASE_PATH=${shellWord(to)} npm start`,
  );
  return lines.map(printable).join('\n');
}
