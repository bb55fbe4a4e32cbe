import {
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import { CONNECT_TIMEOUT_MS, connectToCluster, jetStreamMissing } from './clusterConnect.js';
import { type JetStreamOptions, JetStreamSettingError, JetStreamUnavailableError } from './jetStreamOptions.js';
import { marksStreamExists, PurgeMarks } from './purgeMarks.js';
import { refuseEmbeddedLog, refuseOrphaningReplica } from './replicaGuard.js';
import { warnOfBadEntries } from './serverProbe.js';
import { serverVersionWarning } from './serverVersion.js';
import {
  checkMessageSize,
  duplicateWindowChange,
  limitsChange,
  limitsLowering,
  reviewStream,
  type StreamLimits,
} from './streamChecks.js';
import { originOf, type StreamOrigin } from './streamIdentity.js';
import { epochNote, isStreamName, streamSubjects } from './streamSubjects.js';

/** A connection to the cluster with the stream opened (created when missing), and the stream's origin (its epoch). */
export interface OpenedStream extends StreamOrigin {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The recorded purges' cut (see PurgeMarks). */
  readonly marks: PurgeMarks;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Connect and open (or create) the stream; throws JetStreamUnavailableError naming the servers and the reason, or
 * JetStreamSettingError naming a setting the cluster or the stream found cannot work with.
 */
export async function openStream(
  options: JetStreamOptions,
  newEpoch: () => string,
  onNotice: (message: string) => void = () => undefined,
): Promise<OpenedStream> {
  if (!isStreamName(options.stream))
    throw new JetStreamSettingError('NATS_STREAM', `${JSON.stringify(options.stream)} is not a valid stream name`);
  refuseEmbeddedLog(options);
  const nc = await connectToCluster(options);
  warnOfBadEntries(options.servers, nc.getServer(), onNotice);
  try {
    checkMessageSize(options.maxPayloadBytes ?? 0, nc.info?.max_payload ?? 0, "the NATS servers' max_payload");
    const versionWarning = serverVersionWarning(nc.info?.version);
    if (versionWarning !== null) onNotice(versionWarning);
    const jsm = await jetstreamManager(nc, { timeout: CONNECT_TIMEOUT_MS });
    await whileForming(() => marksStreamExists(jsm, options.stream));
    const { origin, notices } = await whileForming(() => ensureStream(jsm, options, newEpoch, serversOf(nc)));
    for (const notice of notices) onNotice(notice);
    const js = jetstream(nc, { timeout: CONNECT_TIMEOUT_MS });
    const marks = await whileForming(() => PurgeMarks.open(jsm, js, { stream: options.stream, epoch: origin.epoch }));
    return { ...origin, nc, js, jsm, marks };
  } catch (error) {
    await nc.close().catch(() => undefined);
    if (error instanceof JetStreamSettingError) throw error;
    throw (
      jetStreamMissing(error, options) ??
      new JetStreamUnavailableError(
        `JetStream stream ${options.stream} at ${options.servers.join(',')} is unavailable: ${reasonOf(error)}`,
        { cause: error },
      )
    );
  }
}

/** How long a start waits out a cluster that is still forming (no meta leader yet, or not every peer known). */
const FORMING_MS = 15_000;
const FORMING = /no suitable peers|temporarily unavailable|insufficient resources|timeout/i;

/**
 * Run `open` again while the cluster answers that it is still forming, up to FORMING_MS.
 *
 * Hint: seen in the failover test: a node started right after a fresh 3-server cluster elected its meta leader was
 * refused "no suitable peers for placement" for its R3 stream, because the other servers had not yet registered.
 */
async function whileForming<T>(open: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + FORMING_MS;
  for (;;) {
    try {
      return await open();
    } catch (error) {
      if (!FORMING.test(reasonOf(error)) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * NATS_MAX_AGE_MS and NATS_MAX_BYTES as stream limits (0: none), set at creation and on every start when they
 * are higher (see limitsLowering): the stream drops its oldest messages, and every replica follows its first sequence.
 */
function streamLimits(options: JetStreamOptions): StreamLimits {
  return { max_age: nanos(options.maxAgeMs ?? 0), max_bytes: options.maxBytes ? options.maxBytes : -1 };
}

/** The servers of the cluster the connection reached (its advertised client URLs), or null when it did not say. */
function serversOf(nc: NatsConnection): number | null {
  const urls = nc.info?.connect_urls;
  return urls === undefined || urls.length === 0 ? null : urls.length;
}

/**
 * The stream's origin (its epoch); creates the stream (file storage, the configured replicas) when it does not exist.
 * An existing stream is reviewed first (reviewStream): one that cannot hold the log is refused naming why, never made
 * to fit.
 */
async function ensureStream(
  jsm: JetStreamManager,
  options: JetStreamOptions,
  newEpoch: () => string,
  servers: number | null,
): Promise<{ origin: StreamOrigin; notices: readonly string[] }> {
  let info: StreamInfo | null = null;
  try {
    info = await jsm.streams.info(options.stream);
  } catch (error) {
    if (!/not found/i.test(reasonOf(error))) throw error;
  }
  if (info !== null) return openExisting(jsm, info, options);
  refuseOrphaningReplica(options);
  if (servers !== null && options.replicas > servers)
    throw new JetStreamSettingError(
      'NATS_REPLICAS',
      `${options.replicas} copies cannot be placed on a cluster of ${servers} server(s); set it to at most ${servers}`,
    );
  try {
    const epoch = newEpoch();
    const made = await jsm.streams.add({
      name: options.stream,
      description: epochNote(epoch),
      subjects: streamSubjects(options.stream),
      storage: 'file',
      num_replicas: options.replicas,
      duplicate_window: nanos(options.duplicateWindowMs),
      ...streamLimits(options),
    });
    // Hint: the epoch is the same with or without the time, so a node reading the stream in between agrees.
    await jsm.streams.update(options.stream, { description: epochNote(epoch, made.created) });
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === REPLICAS_NOT_CLUSTERED)
      throw new JetStreamSettingError(
        'NATS_REPLICAS',
        `${options.replicas} copies need a clustered NATS; the server at ${options.servers.join(',')} is not clustered, so set it to 1`,
      );
    if (error instanceof JetStreamApiError && error.code === SUBJECTS_OVERLAP) throw await overlapping(jsm, options);
    // Hint: two nodes starting together both try to create it; the loser just reads what the winner made.
    if (!/already in use/i.test(reasonOf(error))) throw error;
  }
  return { origin: originOf(await jsm.streams.info(options.stream)), notices: [] };
}

/** JetStream's error code for a stream with more than one replica on a server that is not clustered. */
const REPLICAS_NOT_CLUSTERED = 10074;
/** JetStream's error code for a new stream whose subjects another stream already captures. */
const SUBJECTS_OVERLAP = 10065;

/** A missing NATS_STREAM that cannot be made: another stream captures its subjects (named when the cluster says). */
async function overlapping(jsm: JetStreamManager, options: JetStreamOptions): Promise<JetStreamSettingError> {
  const [subject] = streamSubjects(options.stream);
  const other = await jsm.streams.find(`${options.stream}.event`).catch(() => null);
  return new JetStreamSettingError(
    'NATS_STREAM',
    `stream ${options.stream} cannot be made: its subjects ${subject} overlap those of ${other === null ? 'another stream' : `stream ${other}`}; choose another NATS_STREAM, or change that stream`,
  );
}

/**
 * An existing stream: refused when it cannot hold the log (NATS_STREAM names it), else its limits and duplicate window
 * set from the settings when they differ (every replica follows what the stream drops), and its origin.
 */
async function openExisting(
  jsm: JetStreamManager,
  info: StreamInfo,
  options: JetStreamOptions,
): Promise<{ origin: StreamOrigin; notices: readonly string[] }> {
  const review = reviewStream(info.config, options);
  if (review.refusals.length > 0)
    throw new JetStreamSettingError(
      'NATS_STREAM',
      `stream ${options.stream} cannot hold the log: ${review.refusals.join('; ')}`,
    );
  checkMessageSize(
    options.maxPayloadBytes ?? 0,
    info.config.max_msg_size ?? 0,
    `stream ${options.stream}'s max_msg_size`,
  );
  const notices = [...review.notices];
  const limits = streamLimits(options);
  const windowChange = duplicateWindowChange(info.config, options.duplicateWindowMs);
  if (windowChange instanceof JetStreamSettingError) throw windowChange;
  const lowering = limitsLowering(info.config, limits);
  if (lowering !== null) throw lowering;
  const window = windowChange?.window ?? null;
  if (windowChange !== null) notices.push(windowChange.notice);
  const limitsNotice = limitsChange(info.config, limits);
  if (limitsNotice !== null) notices.push(limitsNotice);
  if (limitsNotice !== null || window !== null)
    await jsm.streams.update(options.stream, { ...limits, ...(window === null ? {} : { duplicate_window: window }) });
  return { origin: originOf(info), notices };
}
