import { JetStreamApiError, type JetStreamClient, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { JetStreamSettingError } from './jetStreamOptions.js';

/** JetStream's error code for a publish whose expected last subject sequence is not the subject's last. */
const WRONG_LAST_SEQUENCE = 10071;
/** Marks raised at once by other nodes lose a compare-and-set; each loser reads again, this many times at most. */
const RAISE_TRIES = 8;

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The stream that holds `stream`'s purge mark. */
export function marksStreamOf(stream: string): string {
  return `${stream}-purges`;
}

/** The one subject of the marks stream (outside `<stream>.>`, so the events stream never captures it). */
export function marksSubjectOf(stream: string): string {
  return `event-pipeline-purges.${stream}`;
}

/** A mark's body: the log it belongs to (its epoch) and the highest cut a purge asked for. */
export function encodeMark(epoch: string, cut: number): string {
  return JSON.stringify({ epoch, cut });
}

/** The cut in a mark's body, or null when it is not a mark of this epoch (another log's, or not a mark at all). */
export function decodeMark(data: Uint8Array, epoch: string): number | null {
  try {
    const mark: unknown = JSON.parse(new TextDecoder().decode(data));
    if (typeof mark !== 'object' || mark === null || !('epoch' in mark) || !('cut' in mark)) return null;
    return mark.epoch === epoch && Number.isSafeInteger(mark.cut) ? Number(mark.cut) : null;
  } catch {
    return null;
  }
}

/** Whose marks: the events stream and its epoch. */
export interface PurgeMarksOptions {
  readonly stream: string;
  readonly epoch: string;
}

/**
 * The highest cut any DELETE /events asked the stream to purge at, recorded before the purge is made, in a small stream
 * of its own. A replica deletes below the events stream's first sequence only as far as this mark (ReplicaFeed's
 * permit). Why: in a probe on nats-server 2.9.10, a stream leader killed just after a purge came back with a first
 * sequence beyond it, and every node that followed deleted acked events the purge had kept. Hint: a stream of its
 * own rather than a message among the events, so offsets and the events' layout stay as they are.
 */
export class PurgeMarks {
  /** The recorded cut when this node opened the marks: a replica's deletes start from no further (ReplicaFeed). */
  openedCut = 0;
  /** The marks stream's copies, as the events stream's (to make it again if an operator deleted it). */
  private replicas = 1;

  private constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly options: PurgeMarksOptions,
  ) {}

  /**
   * Open the marks of `options.stream`, creating their stream (with the events stream's copies) when missing; a log
   * without a mark (made before marks were kept, or a new one) is marked at its first sequence, which every purge so
   * far reached.
   */
  static async open(jsm: JetStreamManager, js: JetStreamClient, options: PurgeMarksOptions): Promise<PurgeMarks> {
    const marks = new PurgeMarks(jsm, js, options);
    const events = await jsm.streams.info(options.stream);
    marks.replicas = events.config.num_replicas;
    await marks.ensureStream();
    const last = await marks.last();
    const cut = last === null ? null : decodeMark(last.data, options.epoch);
    marks.openedCut = cut ?? (await marks.markFirst(events.state.first_seq, last?.seq ?? 0));
    return marks;
  }

  /** Mark a log that has no mark at `firstSeq`; the cut recorded then (another node's, when it marked first). */
  private async markFirst(firstSeq: number, after: number): Promise<number> {
    try {
      await this.write(firstSeq, after);
      return firstSeq;
    } catch (error) {
      // Hint: two nodes starting together both mark; the loser's mark is the winner's.
      if (!(error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE)) throw error;
      return (await this.read()) ?? 0;
    }
  }

  /**
   * The recorded cut, asked now: 0 when none of this log is recorded (or the marks stream is gone), null when the
   * marks stream did not answer (nothing can be decided then).
   */
  async read(via: Pick<JetStreamManager, 'streams'> = this.jsm): Promise<number | null> {
    try {
      const last = await this.last(via);
      return last === null ? 0 : (decodeMark(last.data, this.options.epoch) ?? 0);
    } catch (error) {
      return /not found/i.test(reasonOf(error)) ? 0 : null;
    }
  }

  /** Record that a purge is about to cut at `cut` (a mark only rises); rejects when it could not be recorded. */
  async raise(cut: number): Promise<void> {
    for (let tries = 0; tries < RAISE_TRIES; tries++) {
      // Hint: an operator may delete the marks stream under running nodes; a DELETE makes it again.
      const last = await this.last().catch(async (error: unknown) => {
        if (!/not found/i.test(reasonOf(error))) throw error;
        await this.ensureStream();
        return null;
      });
      const marked = last === null ? null : decodeMark(last.data, this.options.epoch);
      if (marked !== null && marked >= cut) return;
      try {
        await this.write(cut, last?.seq ?? 0);
        return;
      } catch (error) {
        if (!(error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE)) throw error;
      }
    }
    throw new Error(`stream ${marksStreamOf(this.options.stream)} kept changing under ${RAISE_TRIES} tries`);
  }

  private last(via: Pick<JetStreamManager, 'streams'> = this.jsm): Promise<StoredMsg | null> {
    const { stream } = this.options;
    return via.streams.getMessage(marksStreamOf(stream), { last_by_subj: marksSubjectOf(stream) });
  }

  private async write(cut: number, after: number): Promise<void> {
    const { stream, epoch } = this.options;
    await this.js.publish(marksSubjectOf(stream), encodeMark(epoch, cut), { expect: { lastSubjectSequence: after } });
  }

  private async ensureStream(): Promise<void> {
    const { stream } = this.options;
    if (await marksStreamExists(this.jsm, stream)) return;
    const name = marksStreamOf(stream);
    const config = { name, subjects: [marksSubjectOf(stream)], storage: 'file' as const, num_replicas: this.replicas };
    await this.jsm.streams
      .add({ ...config, max_msgs_per_subject: 1, description: `event-pipeline: purges of stream ${stream}` })
      .catch((added: unknown) => {
        if (!/already in use/i.test(reasonOf(added))) throw added;
      });
  }
}

/**
 * Whether `stream`'s marks stream exists; throws JetStreamSettingError when a stream of its name holds other subjects.
 * Hint: asked before the events stream is made too, so a node refused for it leaves no new empty stream behind.
 */
export async function marksStreamExists(jsm: Pick<JetStreamManager, 'streams'>, stream: string): Promise<boolean> {
  const name = marksStreamOf(stream);
  let subjects: readonly string[];
  try {
    subjects = (await jsm.streams.info(name)).config.subjects ?? [];
  } catch (error) {
    if (/not found/i.test(reasonOf(error))) return false;
    throw error;
  }
  if (subjects.includes(marksSubjectOf(stream))) return true;
  throw new JetStreamSettingError(
    'NATS_STREAM',
    `stream ${name} exists but does not hold ${stream}'s purge marks (its subjects: ${subjects.join(', ')}); ` +
      'rename or remove it, or choose another NATS_STREAM',
  );
}
