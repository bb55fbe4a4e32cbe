import { Publisher } from '../client/index.js';
import {
  API_KEY_IN_OPTION,
  API_KEY_IN_USAGE,
  apiKeyInOf,
  CliError,
  type Command,
  EXIT,
  integerFlag,
  MESSAGE_CAP_OPTION,
  MESSAGE_CAP_USAGE,
  messageCapOf,
  parse,
  SERVER_OPTIONS,
  SERVER_USAGE,
  serverOf,
  UsageError,
} from './command.js';
import { forwardPages } from './forwardPages.js';
import { inputEvents } from './inputEvents.js';
import { checkInputFile } from './ndjson.js';
import { progressBar } from './progressBar.js';
import { duplicatesText, failedExit, interruptedText, publishEvents, stoppedExit } from './publishEvents.js';
import { StatsReply } from './replySchemas.js';
import { checkServer, getJson } from './restClient.js';
import { sigintStop } from './sigintStop.js';

const EXPORT_USAGE = `usage: event-pipeline export [--from N] [--to M] > log.ndjson

Write the log's records (id, offset, type, source, session, user, payload, timestamp) as NDJSON, in offset order.

  --from N           first offset (default the first stored); offsets retention deleted are named on stderr
  --to M             last offset (default the head at start)
${SERVER_USAGE}

exit codes: 0 ok, 1 server error, 2 usage, 3 unreachable, 4 unauthorized, 130 interrupted (Ctrl-C: after the page
            under way, so the output ends on a whole record)`;

/** `event-pipeline export`. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'write the log (or an offset range) as NDJSON to stdout',
  usage: EXPORT_USAGE,
  run: async (args, io) => {
    const { values } = parse(args, { ...SERVER_OPTIONS, from: { type: 'string' }, to: { type: 'string' } });
    if (values.help === true) {
      io.stdout.write(`${EXPORT_USAGE}\n`);
      return EXIT.ok;
    }
    const server = serverOf(values, io.env);
    const from = integerFlag('from', values.from, 1) ?? 1;
    const askedTo = integerFlag('to', values.to, 1);
    if (askedTo !== undefined && askedTo < from) throw new UsageError(`--to ${askedTo} is before --from ${from}`);
    const stats = await getJson(server.url, 'stats', server.apiKey, StatsReply);
    // Hint: without --from, the log is what is stored (from its first offset); a gap is named only inside it.
    const start = values.from === undefined ? Math.max(from, stats.first_offset) : from;
    // Hint: an empty log, or --from past the head, has nothing to export: that is an empty file, not a usage error.
    const to = askedTo ?? stats.head_offset;
    if (to < start) return EXIT.ok;
    const bar = progressBar(io, to - start + 1, 'export');
    const onDeleted = (notice: string) => io.stderr.write(`${notice}\n`);
    // Hint: Ctrl-C ends the export after the page under way is written, so the output ends on a whole record (the
    // default action cut a pipe's last line mid-record, with nothing said).
    const stop = sigintStop(false);
    let last: number | null = null;
    try {
      for await (const page of forwardPages({ ...server, query: '', from: start, to, onDeleted })) {
        // Hint: a write to a pipe blocks the thread, so the Ctrl-C is heard after it, while the next page is read.
        if (stop.signal.aborted) break;
        // Hint: one write per page, and wait for the pipe to drain, so a slow reader bounds memory.
        const ok = io.stdout.write(`${page.map((record) => JSON.stringify(record)).join('\n')}\n`);
        if (!ok) await new Promise((resolve) => io.stdout.once('drain', resolve));
        last = page.at(-1)?.offset ?? last;
        bar.update((last ?? start) - start + 1);
      }
    } finally {
      stop.dispose();
      bar.stop();
    }
    if (!stop.signal.aborted) return EXIT.ok;
    io.stderr.write(
      `export interrupted: ${last === null ? 'nothing written' : `records up to offset ${last} written, each whole`}\n`,
    );
    return EXIT.interrupted;
  },
};

const IMPORT_USAGE = `usage: event-pipeline import [--file FILE] [--max-message-bytes N] [--api-key-in protocol|query] < log.ndjson

Publish exported records in file order, keeping their producer ids, so importing the same export again changes
nothing (the server answers each id it still stores with the original record, and the summary counts them as already
stored); a line without an "id" is stored again on every run. The server assigns new offsets and timestamps:
into an empty log, offsets match the export's when it started at offset 1 with no gaps.

  --file FILE        NDJSON input (default stdin)
${MESSAGE_CAP_USAGE}
${API_KEY_IN_USAGE}
${SERVER_USAGE}

exit codes: 0 all imported, 1 some rejected (named on stderr with their line), 2 usage, 3 unreachable, 4 unauthorized,
            130 interrupted (Ctrl-C: the summary after up to 5 s for acks)`;

/** The publishable part of an exported record; offset and timestamp belong to the log that wrote them. */
function toEvent(value: unknown): unknown {
  // Hint: an array goes as it is, so the server names it as one (`event must be an object, got an array`), as for
  // publish; spread into an object, its items read as fields `0`, `1`, … and the message named missing fields.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const { offset: _offset, timestamp: _timestamp, ...event } = value as Record<string, unknown>;
  return event;
}

/** `event-pipeline import`. */
export const importCommand: Command = {
  name: 'import',
  summary: 'publish NDJSON records from an export, keeping ids (re-importing an export is idempotent)',
  usage: IMPORT_USAGE,
  run: async (args, io) => {
    const options = {
      ...SERVER_OPTIONS,
      ...MESSAGE_CAP_OPTION,
      ...API_KEY_IN_OPTION,
      file: { type: 'string' },
    } as const;
    const { values } = parse(args, options);
    if (values.help === true) {
      io.stdout.write(`${IMPORT_USAGE}\n`);
      return EXIT.ok;
    }
    const server = serverOf(values, io.env);
    const messageCap = messageCapOf(values);
    const keyIn = apiKeyInOf(values, io.env);
    checkInputFile(values.file);
    await checkServer(server.url, server.apiKey);
    // Hint: one message in flight keeps the file's order even across retries, so offsets follow the file.
    const publisher = new Publisher({
      url: server.url,
      ...(server.apiKey === undefined ? {} : { apiKey: server.apiKey }),
      ...keyIn,
      ...messageCap,
      maxInFlightMessages: 1,
      maxBatchEvents: 1000,
      deliveryTimeoutMs: 60_000,
    });
    // Hint: import writes nothing to stdout, so only a Ctrl-C stops it.
    const stop = sigintStop(false);
    const events = inputEvents(io, values.file, stop.signal, messageCap, toEvent);
    const summary = await publishEvents(io, publisher, events, false, stop).finally(stop.dispose);
    const failed = summary.failed;
    io.stderr.write(
      `imported ${summary.ok} record(s)${summary.ok > 0 ? `, offsets ${summary.first}–${summary.last}${duplicatesText(summary)}` : ''}${failed > 0 ? `; ${failed} failed` : ''}${interruptedText(summary)}\n`,
    );
    const stopped = stoppedExit(summary);
    if (stopped !== null) return stopped;
    if (summary.timedOut > 0) await checkServer(server.url, server.apiKey);
    if (summary.ok === 0 && failed > 0) throw new CliError('nothing imported', failedExit(summary));
    return failed > 0 ? failedExit(summary) : EXIT.ok;
  },
};
