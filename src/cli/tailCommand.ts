import { LogReplacedError, SubscriptionRejectedError, subscribe } from '../client/index.js';
import { type EventType, isEventType, unknownEventType } from '../protocol/eventTypes.js';
import {
  API_KEY_IN_OPTION,
  API_KEY_IN_USAGE,
  apiKeyInOf,
  CliError,
  type Command,
  cliWording,
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
import { forwardPages } from './forwardPages.js';
import { nextCursor } from './pageCursor.js';
import { type RecordFields, RecordsReply } from './replySchemas.js';
import { checkServer, getJson } from './restClient.js';

const USAGE = `usage: event-pipeline tail [--session S] [--user U] [--source S] [--type T ...] [--from N|head] [--follow] [--json] [-n N]

Print matching events, human-readable (or NDJSON with --json). Without --follow: the last -n events (default 10),
or every event from --from N up to the head (--from head needs --follow). With --follow: from --from (default head), live, resuming by offset
across server restarts.

  --session, --user, --source   filters (an empty value is a usage error, not "any")
  --type T           event type (repeatable)
  --from N|head      first offset; offsets retention deleted are named on stderr
  --follow, -f       keep following live
  -n N               how many of the latest events (default 10; any number, read in pages); not with --from
                     or --follow
  --json             one JSON record per line
${API_KEY_IN_USAGE}
${SERVER_USAGE}

exit codes: 0 ok, 1 server error, 2 usage, 3 unreachable, 4 unauthorized, 5 the log was replaced while following`;

const OPTIONS = {
  ...SERVER_OPTIONS,
  ...API_KEY_IN_OPTION,
  session: { type: 'string' },
  user: { type: 'string' },
  source: { type: 'string' },
  type: { type: 'string', multiple: true },
  from: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  json: { type: 'boolean' },
  n: { type: 'string', short: 'n' },
} as const;

/** One record as a line: offset, time, type, who, payload. */
export function formatRecord(record: RecordFields): string {
  const who = [
    record.session_id === null ? '' : `session=${printable(record.session_id)}`,
    record.user_id === null ? '' : `user=${printable(record.user_id)}`,
    `source=${printable(record.source)}`,
  ]
    .filter((part) => part !== '')
    .join(' ');
  // Hint: JSON.stringify escapes C0 controls but leaves C1 ones and U+2028/U+2029 raw; printable escapes those too.
  return `#${record.offset}  ${printable(record.timestamp)}  ${printable(record.event_type).padEnd(21)} ${who}  ${printable(JSON.stringify(record.payload))}`;
}

function queryOf(filters: {
  session?: string | undefined;
  user?: string | undefined;
  source?: string | undefined;
  types: readonly EventType[];
}): string {
  const params = new URLSearchParams();
  if (filters.session !== undefined) params.set('session_id', filters.session);
  if (filters.user !== undefined) params.set('user_id', filters.user);
  if (filters.source !== undefined) params.set('source', filters.source);
  if (filters.types.length > 0) params.set('event_type', filters.types.join(','));
  return params.toString();
}

type Server = ReturnType<typeof serverOf>;
const PAGE = 1000;

/** The latest `count` matching events, oldest first, read newest first in pages of the server's limit. */
async function* latestEvents(server: Server, query: string, count: number): AsyncGenerator<RecordFields> {
  const newestFirst: RecordFields[] = [];
  let before = Number.POSITIVE_INFINITY;
  while (newestFirst.length < count) {
    const limit = Math.min(count - newestFirst.length, PAGE);
    const cursor = before === Infinity ? '' : `&before_offset=${before}`;
    // Hint: no filters is an empty query, and `events?&order=…` named the request with a stray `&`.
    const path = `events?${query === '' ? '' : `${query}&`}order=desc&limit=${limit}${cursor}`;
    const page = await getJson(server.url, path, server.apiKey, RecordsReply);
    before = nextCursor(page, before, 'desc', `GET /${path}`);
    newestFirst.push(...page);
    if (page.length < limit) break;
  }
  yield* newestFirst.reverse();
}

/**
 * What tail reads: from --from, or the latest -n. Hint: -n counts the latest events, so with --from or --follow
 * (which print every event from a start) it was silently ignored; refused instead, as publish refuses mixed flags.
 */
function rangeOf(values: { from?: string; n?: string; follow?: boolean }): {
  from: number | 'head' | undefined;
  lines: number;
} {
  const from = values.from === undefined || values.from === 'head' ? values.from : integerFlag('from', values.from, 1);
  const lines = integerFlag('n', values.n, 1) ?? 10;
  // Hint: from the head up to the head is nothing; said, rather than printing the last 10 as if --from were absent.
  if (from === 'head' && values.follow !== true)
    throw new UsageError('--from head: prints nothing without --follow; use -n N for the latest events');
  if (values.n !== undefined && from !== undefined)
    throw new UsageError(
      '-n: not with --from: --from prints every event from N up to the head (or live with --follow)',
    );
  if (values.n !== undefined && values.follow === true)
    throw new UsageError('-n: not with --follow, which starts at the head; use --from N to start earlier');
  return { from, lines };
}

/** `event-pipeline tail`. */
export const tailCommand: Command = {
  name: 'tail',
  summary: 'print matching events; --follow keeps following live with resume',
  usage: USAGE,
  run: async (args, io) => {
    const { values } = parse(args, OPTIONS);
    if (values.help === true) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const types = values.type ?? [];
    for (const type of types)
      if (!isEventType(filterFlag('type', type))) throw new UsageError(`--type: ${unknownEventType(type)}`);
    const { from, lines } = rangeOf(values);
    const server = serverOf(values, io.env);
    const keyIn = apiKeyInOf(values, io.env);
    const filters = {
      session: filterFlag('session', values.session),
      user: filterFlag('user', values.user),
      source: filterFlag('source', values.source),
      types: types.filter(isEventType),
    };
    const print = (record: RecordFields) =>
      io.stdout.write(values.json === true ? `${JSON.stringify(record)}\n` : `${formatRecord(record)}\n`);
    await checkServer(server.url, server.apiKey);
    if (values.follow !== true) {
      const query = queryOf(filters);
      if (typeof from !== 'number') {
        for await (const record of latestEvents(server, query, lines)) print(record);
        return EXIT.ok;
      }
      const onDeleted = (notice: string) => io.stderr.write(`${notice}\n`);
      for await (const page of forwardPages({ ...server, query, from, onDeleted }))
        for (const record of page) print(record);
      return EXIT.ok;
    }
    const sub = subscribe({
      url: server.url,
      ...(server.apiKey === undefined ? {} : { apiKey: server.apiKey }),
      ...keyIn,
      filters: {
        ...(filters.session === undefined ? {} : { session_id: filters.session }),
        ...(filters.user === undefined ? {} : { user_id: filters.user }),
        ...(filters.source === undefined ? {} : { source: filters.source }),
        ...(filters.types.length === 0 ? {} : { event_types: filters.types }),
      },
      from: typeof from === 'number' ? from : 'head',
      onNotice: (notice) => io.stderr.write(`${notice.message}\n`),
    });
    const stop = () => void sub.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      for await (const record of sub) print(record);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof LogReplacedError)
        throw new CliError(
          `${error.message}: its offsets name other events now; run tail again, with --from 1 to read the new log from its start`,
          EXIT.logReplaced,
        );
      // Hint: /stats took the key, and the upgrade refused it (a restart with another key, an older server): exit 4.
      // The path goes first, as the refusal may end with where to send the key instead.
      if (error instanceof SubscriptionRejectedError && (error.status === 401 || error.status === 403))
        throw new CliError(`/ws/subscribe: ${cliWording(error.message)}`, EXIT.unauthorized);
      throw error;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
