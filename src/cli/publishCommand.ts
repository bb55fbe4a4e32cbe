import { type PublishEvent, Publisher } from '../client/index.js';
import { isEventType, unknownEventType } from '../protocol/eventTypes.js';
import { lossyIntegerMessage, storedLossyInteger } from '../protocol/lossyIntegers.js';
import {
  API_KEY_IN_OPTION,
  API_KEY_IN_USAGE,
  apiKeyInOf,
  type CliIo,
  type Command,
  EXIT,
  MESSAGE_CAP_OPTION,
  MESSAGE_CAP_USAGE,
  messageCapOf,
  parse,
  SERVER_OPTIONS,
  SERVER_USAGE,
  serverOf,
  UsageError,
} from './command.js';
import { inputEvents } from './inputEvents.js';
import { checkInputFile } from './ndjson.js';
import { outOfRangeNumberIn } from './outOfRangeNumber.js';
import { duplicatesText, failedExit, interruptedText, publishEvents, stoppedExit } from './publishEvents.js';
import { checkServer } from './restClient.js';
import { sigintStop } from './sigintStop.js';

const USAGE = `usage: event-pipeline publish --type TYPE --source SOURCE [--session S] [--user U] [--payload JSON] [--id ID]
       event-pipeline publish [--file FILE] [--acks] [--max-message-bytes N] < events.ndjson

Publish one event from flags, or NDJSON events (one per line) from --file or stdin, pipelined through the SDK.
Prints a summary of the offsets to stderr, with how many were new when some were already stored under their id;
--acks prints each ack ({"line","id","offset"}, and "duplicate":true for an id already stored) to stdout.

  --type, --source, --session, --user, --payload, --id   the event, when publishing one
  --file FILE        NDJSON input (default stdin)
  --acks             one JSON ack per line on stdout
${MESSAGE_CAP_USAGE}
${API_KEY_IN_USAGE}
${SERVER_USAGE}

Ctrl-C stops reading, waits up to 5 s for the acks of what was sent, prints them and the summary, and exits 130.

exit codes: 0 all published, 1 some rejected (each named on stderr with its line), 2 usage, 3 unreachable, 4 unauthorized,
            130 interrupted`;

const OPTIONS = {
  ...SERVER_OPTIONS,
  ...MESSAGE_CAP_OPTION,
  ...API_KEY_IN_OPTION,
  type: { type: 'string' },
  source: { type: 'string' },
  session: { type: 'string' },
  user: { type: 'string' },
  payload: { type: 'string' },
  id: { type: 'string' },
  file: { type: 'string' },
  acks: { type: 'boolean' },
} as const;

/**
 * Event flags and --file describe two ways to publish; mixed, one of them was silently ignored (flags without --type
 * let stdin's events through with their own fields, --type with --file skipped the file). Refused instead.
 */
function checkFlagsAgree(values: Record<string, unknown>): void {
  const eventFlags = ['source', 'session', 'user', 'payload', 'id'].filter((name) => values[name] !== undefined);
  if (values.type === undefined && eventFlags.length > 0)
    throw new UsageError(`--${eventFlags[0]}: only with --type (one event from flags); NDJSON events carry their own`);
  if (values.type !== undefined && values.file !== undefined)
    throw new UsageError('--file: not with --type: publish one event from flags, or the events of a file');
}

/** The one event the flags describe. */
function eventFromFlags(values: {
  type?: string;
  source?: string;
  session?: string;
  user?: string;
  payload?: string;
  id?: string;
}): PublishEvent {
  if (!isEventType(values.type)) throw new UsageError(`--type: ${unknownEventType(values.type)}`);
  if (values.source === undefined) throw new UsageError('--source is required with --type');
  let payload: unknown = {};
  try {
    payload = values.payload === undefined ? {} : JSON.parse(values.payload);
  } catch (error) {
    throw new UsageError(`--payload: ${(error as Error).message}`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new UsageError('--payload must be a JSON object');
  // Hint: named and worded as the server names them (`payload.id: …`), both a usage error as a --payload not JSON is.
  const text = values.payload ?? '{}';
  const lossy = storedLossyInteger(text, () => ({ payload }));
  if (lossy !== null) throw new UsageError(`--payload: ${lossy.path}: ${lossyIntegerMessage(lossy.token)}`);
  const beyond = outOfRangeNumberIn(text, () => ({ payload }));
  if (beyond !== null) throw new UsageError(`--payload: ${beyond}`);
  return {
    event_type: values.type,
    source: values.source,
    ...(values.session === undefined ? {} : { session_id: values.session }),
    ...(values.user === undefined ? {} : { user_id: values.user }),
    ...(values.id === undefined ? {} : { id: values.id }),
    payload: { ...payload },
  };
}

/** `event-pipeline publish`. */
export const publishCommand: Command = {
  name: 'publish',
  summary: 'publish one event from flags, or NDJSON from stdin or a file',
  usage: USAGE,
  run: async (args: readonly string[], io: CliIo): Promise<number> => {
    const { values } = parse(args, OPTIONS);
    if (values.help === true) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const server = serverOf(values, io.env);
    const messageCap = messageCapOf(values);
    const keyIn = apiKeyInOf(values, io.env);
    checkFlagsAgree(values);
    const single = values.type !== undefined ? eventFromFlags(values) : null;
    checkInputFile(values.file);
    await checkServer(server.url, server.apiKey);
    const publisher = new Publisher({
      url: server.url,
      ...(server.apiKey === undefined ? {} : { apiKey: server.apiKey }),
      ...keyIn,
      ...messageCap,
      deliveryTimeoutMs: 30_000,
    });
    const stop = sigintStop();
    const source =
      single !== null
        ? (async function* () {
            yield { line: 1, event: single };
          })()
        : inputEvents(io, values.file, stop.signal, messageCap);
    const summary = await publishEvents(io, publisher, source, values.acks === true, stop).finally(stop.dispose);
    const range =
      summary.ok === 0 ? 'no offsets' : `offsets ${summary.first}–${summary.last}${duplicatesText(summary)}`;
    io.stderr.write(
      `published ${summary.ok} event(s), ${range}${summary.failed > 0 ? `; ${summary.failed} failed` : ''}${interruptedText(summary)}\n`,
    );
    const stopped = stoppedExit(summary);
    if (stopped !== null) return stopped;
    // Hint: publishes that timed out against a server that is now gone are "unreachable" (exit 3), not rejections.
    if (summary.timedOut > 0) await checkServer(server.url, server.apiKey);
    return summary.failed > 0 ? failedExit(summary) : EXIT.ok;
  },
};
