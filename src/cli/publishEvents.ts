import {
  type PublishAck,
  type PublishEvent,
  type Publisher,
  PublishRejectedError,
  PublishTimeoutError,
} from '../client/index.js';
import { type CliIo, cliWording, EXIT } from './command.js';
import { ErrorLines } from './errorLines.js';
import type { InputLine } from './inputEvents.js';
import { progressBar } from './progressBar.js';
import { roomOrAbort, settleWithin } from './publisherWaits.js';
import { OUTPUT_CLOSED } from './sigintStop.js';
import { writesSettled } from './stdoutClosed.js';
import { UnsettledLines } from './unsettledLines.js';

/** How long an interrupted run waits for the acks of what it already handed to the SDK. */
export const INTERRUPT_GRACE_MS = 5_000;

/** Counts and offsets of a publish run. */
export interface PublishSummary {
  /** Acknowledged events, `duplicates` of them already stored under their id (nothing new stored for those). */
  ok: number;
  duplicates: number;
  /** Lines that failed: refused or not acknowledged, or not readable as an event (not JSON, not UTF-8). */
  failed: number;
  /** Failed as not acknowledged in time (the server may be gone: see publishCommand). */
  timedOut: number;
  /** Failed because the server refused the API key (401/403) on the WebSocket upgrade: exit 4 (see failedExit). */
  unauthorized: number;
  first: number;
  last: number;
  /** Set when the run was interrupted: the last input line handed to the SDK (later lines were not sent). */
  stoppedAfterLine: number | null;
  /** Still unacknowledged when an interrupted run stopped waiting: each may or may not be stored. */
  unconfirmed: number;
  /** Why reading the input failed part way (a reset socket, a line too long to hold), or null; see stoppedAfterLine. */
  inputError: string | null;
  /** Set when publishes timed out with input left: the last line handed over (later lines were not read on). */
  gaveUpAfterLine: number | null;
  /** The run stopped because standard output's reader went away (`--acks | head -1`), not by a Ctrl-C. */
  outputClosed: boolean;
}

/** A run's summary before its first line. */
function emptySummary(): PublishSummary {
  return {
    ok: 0,
    duplicates: 0,
    failed: 0,
    timedOut: 0,
    unauthorized: 0,
    first: Number.POSITIVE_INFINITY,
    last: 0,
    stoppedAfterLine: null,
    unconfirmed: 0,
    inputError: null,
    gaveUpAfterLine: null,
    outputClosed: false,
  };
}

/** What stops a run early, and how long it then waits for acks. */
export interface PublishStop {
  readonly signal: AbortSignal;
  readonly graceMs?: number;
}

/**
 * Publish events (each with its input line) through one Publisher; every outcome is reported, failed lines in line
 * order. When `stop` aborts (SIGINT), no more input is read, the acks of what was handed over are awaited for up to
 * `graceMs` (and printed with --acks), and the rest is counted as unconfirmed, so the acks file and the summary match
 * what the server holds.
 */
export async function publishEvents(
  io: CliIo,
  publisher: Publisher,
  events: AsyncIterable<InputLine>,
  printAcks: boolean,
  stop?: PublishStop,
): Promise<PublishSummary> {
  const summary = emptySummary();

  const bar = progressBar(io, 0, 'publish');
  const errors = new ErrorLines(io);
  const unsettled = new UnsettledLines();
  let abandoned = false;
  const onAck = (line: number, ack: PublishAck) => {
    summary.ok++;
    if (ack.duplicate === true) summary.duplicates++;
    summary.first = Math.min(summary.first, ack.offset);
    summary.last = Math.max(summary.last, ack.offset);
    // Hint: once its reader has gone, every write would fail again; the summary says the acks stopped there.
    if (printAcks && io.stdout.writable) io.stdout.write(`${JSON.stringify({ line, ...ack })}\n`);
    bar.update(summary.ok + summary.failed);
  };
  const onError = (line: number, error: unknown) => {
    if (abandoned) return void summary.unconfirmed++;
    summary.failed++;
    if (error instanceof PublishTimeoutError) summary.timedOut++;
    if (error instanceof PublishRejectedError && (error.code === 401 || error.code === 403)) summary.unauthorized++;
    errors.add(
      line,
      cliWording(error instanceof PublishRejectedError ? error.serverMessage : (error as Error).message),
    );
  };
  const onUnreadable = (item: { line: number; error: string; group?: string }) => {
    summary.failed++;
    errors.add(item.line, item.error, item.group, 'lines');
    errors.release(unsettled.lowest());
  };
  // Hint: a set of the unsettled, not a list of all: memory stays bounded by the SDK's window on a huge file.
  const pending = new Set<Promise<void>>();
  // Hint: a publish that timed out means the server takes nothing now: reading on handed it 10,000 more events to
  // wait 30 s each, so a 60,000-line file ran 184 s after its server died (probe), a million lines nearly an hour.
  const gaveUp = () => summary.timedOut > 0;
  const fed = await feed(publisher, events, { signal: stop?.signal, gaveUp }, onUnreadable, (line, published) => {
    unsettled.handed(line);
    const settled: Promise<void> = published.then(
      (ack) => onAck(line, ack),
      (error: unknown) => onError(line, error),
    );
    pending.add(settled);
    void settled.then(() => {
      pending.delete(settled);
      unsettled.settled(line);
      errors.release(unsettled.lowest());
    });
  });
  const { lastLine, inputError } = fed;
  if (fed.gaveUp) summary.gaveUpAfterLine = lastLine;
  // Hint: what was handed over is still awaited and reported; a throw here left the socket open and the CLI hung.
  if (inputError !== null) [summary.inputError, summary.stoppedAfterLine] = [inputError, lastLine];
  else if (stop?.signal.aborted === true) {
    summary.stoppedAfterLine = lastLine;
    const drained = await settleWithin(publisher, stop.graceMs ?? INTERRUPT_GRACE_MS);
    if (!drained) {
      abandoned = true;
      publisher.destroy();
    }
  }
  await Promise.all(pending);
  await publisher.close();
  // Hint: a reader gone after the input was read (`| head -1` on 5,000 lines) lost acks unsaid, exit 0, before this.
  if (printAcks) await writesSettled(io.stdout);
  summary.outputClosed = stop?.signal.reason === OUTPUT_CLOSED;
  bar.stop();
  errors.flush();
  return summary;
}

/**
 * Hand each event to the publisher, waiting for room in its window; stops when `signal` aborts (the input, read with
 * the same signal, is destroyed then), or before handing over another event once `gaveUp()`. Resolves with the line
 * of the last event handed over.
 */
async function feed(
  publisher: Publisher,
  events: AsyncIterable<InputLine>,
  { signal, gaveUp }: { readonly signal: AbortSignal | undefined; readonly gaveUp: () => boolean },
  onUnreadable: (item: { line: number; error: string; group?: string }) => void,
  onPublished: (line: number, published: Promise<PublishAck>) => void,
): Promise<{ readonly lastLine: number; readonly inputError: string | null; readonly gaveUp: boolean }> {
  let lastLine = 0;
  try {
    for await (const item of events) {
      if ('error' in item) {
        onUnreadable(item);
        continue;
      }
      // Hint: wait for room in the SDK's window before reading on, so a huge file never sits in memory.
      await roomOrAbort(publisher, signal);
      if (signal?.aborted === true) break;
      if (gaveUp()) return { lastLine, inputError: null, gaveUp: true };
      // Hint: the server validates; a malformed line is reported by it with the field, like any other rejection.
      onPublished(item.line, publisher.publish(item.event as PublishEvent));
      lastLine = item.line;
    }
  } catch (error) {
    // Hint: the interrupt destroys the input stream under the read; that is the stop asked for, not a failure.
    if (signal?.aborted !== true)
      return { lastLine, inputError: error instanceof Error ? error.message : String(error), gaveUp: false };
  }
  return { lastLine, inputError: null, gaveUp: false };
}

/**
 * How many acknowledged events were new and how many already stored ('' when none was). Hint: the server answers an
 * id it holds with the stored event, so a re-import said `imported 4023 record(s)` when nothing new was stored.
 */
export function duplicatesText(summary: PublishSummary): string {
  if (summary.duplicates === 0) return '';
  return ` (${summary.ok - summary.duplicates} new, ${summary.duplicates} already stored)`;
}

/** What an interrupted run adds to its summary line ('' when it ran to the end and every ack could be printed). */
export function interruptedText(summary: PublishSummary): string {
  const acksLost = summary.outputClosed ? '; standard output was closed, so later acks were not printed' : '';
  if (summary.gaveUpAfterLine !== null) {
    const after = summary.gaveUpAfterLine === 0 ? 'before the first line' : `after line ${summary.gaveUpAfterLine}`;
    return `${acksLost}; stopped ${after} as publishes were not acknowledged in time, later lines not sent`;
  }
  if (summary.stoppedAfterLine === null) return acksLost;
  const after = summary.stoppedAfterLine === 0 ? 'before the first line' : `after line ${summary.stoppedAfterLine}`;
  if (summary.inputError !== null)
    return `${acksLost}; reading the input failed ${after} (${summary.inputError}), later lines not read`;
  const unconfirmed =
    summary.unconfirmed > 0 ? `; ${summary.unconfirmed} not acknowledged in time (each may or may not be stored)` : '';
  if (summary.outputClosed) return `${acksLost}; stopped ${after}, later lines not sent${unconfirmed}`;
  return `; interrupted ${after}, later lines not sent${unconfirmed}`;
}

/**
 * The exit code of a run that failed some lines: 4 when the server refused the API key on the WebSocket (/stats took
 * it: a key only the WebSocket checks, or a proxy's), as any command exits for a refused key, else 1.
 */
export function failedExit(summary: PublishSummary): number {
  return summary.unauthorized > 0 ? EXIT.unauthorized : EXIT.failed;
}

/**
 * The exit code of a run that stopped early or lost acks: 1 when the input failed or acks could not be printed (all
 * lines may have been sent), 130 when interrupted; null when none of these.
 */
export function stoppedExit(summary: PublishSummary): number | null {
  if (summary.inputError !== null || summary.outputClosed) return EXIT.failed;
  if (summary.stoppedAfterLine === null) return null;
  return EXIT.interrupted;
}
