import { isSessionStatus, SESSION_STATUSES } from '../protocol/sessionStatus.js';
import {
  type Command,
  EXIT,
  filterFlag,
  integerFlag,
  parse,
  printable,
  SERVER_OPTIONS,
  SERVER_USAGE,
  serverOf,
  UsageError,
} from './command.js';
import { SessionsReply, StatsReply } from './replySchemas.js';
import { getJson } from './restClient.js';

const STATS_USAGE = `usage: event-pipeline stats [--json]

The server's /stats: totals, per-type counts, head and first offsets, the log epoch, router figures.

  --json             the raw JSON
${SERVER_USAGE}

exit codes: 0 ok, 1 server error, 2 usage, 3 unreachable, 4 unauthorized`;

/** `event-pipeline stats`. */
export const statsCommand: Command = {
  name: 'stats',
  summary: "show the server's statistics",
  usage: STATS_USAGE,
  run: async (args, io) => {
    const { values } = parse(args, { ...SERVER_OPTIONS, json: { type: 'boolean' } });
    if (values.help === true) {
      io.stdout.write(`${STATS_USAGE}\n`);
      return EXIT.ok;
    }
    const server = serverOf(values, io.env);
    const stats = await getJson(server.url, 'stats', server.apiKey, StatsReply);
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
      return EXIT.ok;
    }
    const lines = [
      `events       ${stats.total_events} (${stats.events_last_hour} in the last hour)`,
      `offsets      ${stats.first_offset}–${stats.head_offset}`,
      `epoch        ${stats.epoch}`,
      ...stats.by_type.map(
        (t) => `  ${t.event_type.padEnd(22)} ${String(t.count).padStart(9)}  last ${t.last_seen ?? '–'}`,
      ),
      ...Object.entries(stats.router).map(([key, value]) => `router ${key.padEnd(22)} ${String(value)}`),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  },
};

const SESSIONS_USAGE = `usage: event-pipeline sessions [--status STATUS] [--limit N] [--json]

Sessions, the one with the newest event first (GET /sessions).

  --status STATUS    only this status (${SESSION_STATUSES.join(', ')})
  --limit N          at most N (1–1000, default 100)
  --json             one JSON session per line
${SERVER_USAGE}

exit codes: 0 ok, 1 server error, 2 usage (an unknown status too), 3 unreachable, 4 unauthorized`;

/** The --status flag checked here, as --limit is: a status the server does not know is a usage error (exit 2). */
function statusFlag(text: string | undefined): string | undefined {
  const status = filterFlag('status', text);
  if (status === undefined || isSessionStatus(status)) return status;
  throw new UsageError(`--status: must be one of ${SESSION_STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
}

/** `event-pipeline sessions`. */
export const sessionsCommand: Command = {
  name: 'sessions',
  summary: 'list sessions, optionally by status',
  usage: SESSIONS_USAGE,
  run: async (args, io) => {
    const { values } = parse(args, {
      ...SERVER_OPTIONS,
      status: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help === true) {
      io.stdout.write(`${SESSIONS_USAGE}\n`);
      return EXIT.ok;
    }
    const server = serverOf(values, io.env);
    const params = new URLSearchParams();
    const status = statusFlag(values.status);
    if (status !== undefined) params.set('status', status);
    params.set('limit', String(integerFlag('limit', values.limit, 1, 1000) ?? 100));
    const sessions = await getJson(server.url, `sessions?${params.toString()}`, server.apiKey, SessionsReply);
    for (const s of sessions) {
      io.stdout.write(
        values.json === true
          ? `${JSON.stringify(s)}\n`
          : `${printable(s.session_id).padEnd(30)} ${s.status.padEnd(12)} ${String(s.event_count).padStart(7)} events  users ${printable(usersText(s.user_ids, s.user_count))}  last #${s.last_offset}\n`,
      );
    }
    return EXIT.ok;
  },
};

/** A listed session's users: the listing holds the first few, so say how many more there are. */
export function usersText(ids: readonly string[], count = ids.length): string {
  const more = count - ids.length;
  return more > 0 ? `${ids.join(',')} (+${more} more)` : ids.join(',');
}
