import type { StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { JetStreamSettingError } from './jetStreamOptions.js';
import { eventSubject } from './streamSubjects.js';

/**
 * What a stream message holds besides the payload's JSON text, at most: the ids and source (session and user ids up
 * to 200 characters, each at most 6 bytes as JSON escapes), the type, timestamp and flags, and the Nats-Msg-Id and
 * floor headers. Proven against the worst event by streamChecks.test.ts.
 */
export const ENVELOPE_BYTES = 4_096;

/**
 * The largest stream message an event with a payload of `maxPayloadBytes` can make. Hint: the payload's JSON text
 * travels as a JSON string, where every `"` and `\` is escaped once more, so it can take twice its own size.
 */
export function largestMessageBytes(maxPayloadBytes: number): number {
  return 2 * maxPayloadBytes + ENVELOPE_BYTES;
}

/** Refuses a MAX_PAYLOAD_BYTES whose largest event would not fit in a message of `limit` bytes (`what` names it). */
export function checkMessageSize(maxPayloadBytes: number, limit: number, what: string): void {
  if (limit <= 0 || largestMessageBytes(maxPayloadBytes) <= limit) return;
  const most = Math.max(0, Math.floor((limit - ENVELOPE_BYTES) / 2));
  throw new JetStreamSettingError(
    'MAX_PAYLOAD_BYTES',
    `${maxPayloadBytes} is too large for ${what} of ${limit} bytes: an event's stream message can take twice its ` +
      `payload plus ${ENVELOPE_BYTES} bytes, so MAX_PAYLOAD_BYTES can be at most ${most} here`,
  );
}

/** Where a NATS subject pattern (tokens, `*`, `>`) captures `subject`. */
function captures(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return have.length > i;
    if (i >= have.length || (want[i] !== '*' && want[i] !== have[i])) return false;
  }
  return want.length === have.length;
}

/** What an existing stream's configuration means for the log: reasons it cannot hold it, and things to know. */
export interface StreamReview {
  readonly refusals: readonly string[];
  readonly notices: readonly string[];
}

/**
 * Review an existing stream against what the log needs. Hint: each refusal is a way acked events would be lost or
 * never appended: messages removed once consumed (workqueue, interest), all but the last per subject dropped (every
 * event has one subject), a subject the stream does not capture, a sealed stream, and (probe) publishes never acked
 * (no_ack: each waited NATS_PUBLISH_TIMEOUT_MS for a 503 though stored), the oldest events dropped by a message count
 * no node setting names (max_msgs), or a log kept in memory only (gone when its servers restart).
 */
export function reviewStream(config: StreamConfig, wanted: { replicas: number }): StreamReview {
  const subject = eventSubject(config.name);
  const refusals: string[] = [];
  const notices: string[] = [];
  if (!(config.subjects ?? []).some((pattern) => captures(pattern, subject)))
    refusals.push(`it does not capture subject ${subject} (its subjects: ${(config.subjects ?? []).join(', ')})`);
  if (config.retention !== 'limits')
    refusals.push(`its retention is "${config.retention}", which removes messages once read; the log needs "limits"`);
  if ((config.max_msgs_per_subject ?? 0) > 0)
    refusals.push(
      `it keeps at most ${config.max_msgs_per_subject} message(s) per subject, and every event has the same subject`,
    );
  if (config.sealed) refusals.push('it is sealed, so no event can be appended');
  refusals.push(...durabilityRefusals(config));
  if (config.num_replicas < wanted.replicas)
    notices.push(
      `stream ${config.name} keeps ${config.num_replicas} cop${config.num_replicas === 1 ? 'y' : 'ies'}, fewer than ` +
        `NATS_REPLICAS=${wanted.replicas} (which applies when a node creates the stream)`,
    );
  if (config.discard === 'new' && hasLimits(config))
    notices.push(`stream ${config.name} discards new messages at its limits: publishes are refused (503) once full`);
  if ((config.max_consumers ?? -1) > 0)
    notices.push(
      `stream ${config.name} allows at most ${config.max_consumers} consumer(s) (max_consumers): every node following ` +
        'it needs one, so a node beyond that count cannot follow the stream (and it cannot be changed on a stream)',
    );
  if (config.deny_purge) notices.push(`stream ${config.name} denies purges: DELETE /events will be refused (409)`);
  return { refusals, notices };
}

/** What keeps an acked event from staying in the stream: no acks, a message count limit, memory storage. */
function durabilityRefusals(config: StreamConfig): string[] {
  const refusals: string[] = [];
  if (config.no_ack)
    refusals.push(
      'it does not acknowledge publishes (no_ack), and a commit is answered only once the stream acknowledges it; ' +
        `\`nats stream edit ${config.name} --ack\` turns acknowledgements on`,
    );
  // Hint: with discard "new" the count refuses publishes once full instead (a notice below), deleting nothing.
  if ((config.max_msgs ?? 0) > 0 && config.discard !== 'new')
    refusals.push(
      `it keeps at most ${config.max_msgs} messages (max_msgs) and deletes the oldest events beyond that on every ` +
        `node; the log's limits are NATS_MAX_BYTES and NATS_MAX_AGE_MS: lift it with \`nats stream edit ` +
        `${config.name} --max-msgs=-1\``,
    );
  if (config.storage === 'memory')
    refusals.push(
      'its storage is memory, so the log is lost when its servers restart (and a node started then makes a new empty ' +
        "one); a stream's storage cannot be changed: choose another NATS_STREAM, which a node creates on file storage",
    );
  return refusals;
}

/** Whether the stream drops messages on its own (a count, size or age limit). */
export function hasLimits(config: StreamConfig): boolean {
  return [config.max_msgs, config.max_bytes, config.max_age].some((limit) => limit !== undefined && limit > 0);
}

/**
 * The duplicate window to set on a stream, in nanoseconds, with the line saying so (null when it has it already), or
 * a refusal when the setting would lower it. Why: the window is the whole cluster's; one node started with
 * NATS_DUPLICATE_WINDOW_MS=1000 lowered it from 600 s to 1 s for every node with a line naming only the new value, and
 * a producer retrying beyond the window then relies on the replicas alone. A node raises it; lowering it is the
 * operator's explicit act on the stream, as for the limits.
 */
export function duplicateWindowChange(
  config: StreamConfig,
  duplicateWindowMs: number,
): { readonly window: number; readonly notice: string } | JetStreamSettingError | null {
  const wanted = nanos(duplicateWindowMs);
  const had = config.duplicate_window ?? 0;
  if (had === wanted) return null;
  const hadMs = had / 1_000_000;
  if (wanted < had)
    return new JetStreamSettingError(
      'NATS_DUPLICATE_WINDOW_MS',
      `would lower stream ${config.name}'s duplicate window from ${hadMs} ms to ${duplicateWindowMs} ms for every ` +
        'node (re-sent commits older than that would no longer be deduped by the stream); a node never lowers it: to ' +
        `lower it, run \`nats stream edit ${config.name} --dupe-window ${duplicateWindowMs}ms\` first, then give ` +
        'every node the same',
    );
  return {
    window: wanted,
    notice:
      `stream ${config.name}'s duplicate window set from ${hadMs} ms to ${duplicateWindowMs} ms ` +
      '(NATS_DUPLICATE_WINDOW_MS); give every node the same',
  };
}

/** A stream's age and size limits as the node sets them: nanoseconds and bytes, 0 and -1 for none. */
export interface StreamLimits {
  readonly max_age: number;
  readonly max_bytes: number;
}

/** Nanoseconds of a max_age as milliseconds, or "none". */
const ageText = (age: number | undefined) => (age === undefined || age <= 0 ? 'none' : `${age / 1_000_000} ms`);
const bytesText = (bytes: number | undefined) => (bytes === undefined || bytes <= 0 ? 'none' : `${bytes} bytes`);

/**
 * What setting `wanted` changes in an existing stream's limits, as a line for the log (null when nothing). Why: the
 * limits are the whole cluster's, and an operator's own `nats stream edit` is undone by the next node that starts.
 */
export function limitsChange(config: StreamConfig, wanted: StreamLimits): string | null {
  const changes: string[] = [];
  if (ageText(config.max_age) !== ageText(wanted.max_age))
    changes.push(`max_age ${ageText(config.max_age)} → ${ageText(wanted.max_age)} (NATS_MAX_AGE_MS)`);
  if (bytesText(config.max_bytes) !== bytesText(wanted.max_bytes))
    changes.push(`max_bytes ${bytesText(config.max_bytes)} → ${bytesText(wanted.max_bytes)} (NATS_MAX_BYTES)`);
  if (changes.length === 0) return null;
  return `stream ${config.name}'s limits set from this node's settings: ${changes.join(', ')}; give every node the same`;
}

/** A limit as a number to compare: none (0, -1 or absent) is no bound at all. */
const bound = (limit: number | undefined) => (limit === undefined || limit <= 0 ? Number.POSITIVE_INFINITY : limit);

/**
 * Refusal of settings that would lower an existing stream's limits, or null. Why: the stream would at once delete its
 * oldest events on every node, so one node started with a mistyped NATS_MAX_BYTES emptied the cluster's log. A node
 * may raise a limit or lift it; lowering one is the operator's explicit act on the stream.
 */
export function limitsLowering(config: StreamConfig, wanted: StreamLimits): JetStreamSettingError | null {
  const edit = (flag: string) => `run \`nats stream edit ${config.name} ${flag}\` first, then give every node the same`;
  if (bound(wanted.max_bytes) < bound(config.max_bytes))
    return new JetStreamSettingError(
      'NATS_MAX_BYTES',
      `would lower stream ${config.name}'s max_bytes from ${bytesText(config.max_bytes)} to ` +
        `${bytesText(wanted.max_bytes)}, and the stream would delete its oldest events on every node; a node never ` +
        'lowers a limit: to lower it, ' +
        edit(`--max-bytes ${wanted.max_bytes}`),
    );
  if (bound(wanted.max_age) < bound(config.max_age))
    return new JetStreamSettingError(
      'NATS_MAX_AGE_MS',
      `would lower stream ${config.name}'s max_age from ${ageText(config.max_age)} to ${ageText(wanted.max_age)}, ` +
        'and the stream would delete its older events on every node; a node never lowers a limit: to lower it, ' +
        edit(`--max-age ${wanted.max_age / 1_000_000}ms`),
    );
  return null;
}
