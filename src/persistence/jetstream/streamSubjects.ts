/**
 * Subject encoding. Every event goes to one subject per stream, one message each (its sequence is its offset):
 * keyed replay is served by each node's replica index, not by subject filters.
 *
 * Hint: NATS tokens cannot hold '.', '*', '>' or whitespace, so a stream name is checked before it becomes one.
 */
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `name` can be a JetStream stream name and a subject token. */
export function isStreamName(name: string): boolean {
  return TOKEN.test(name);
}

/** The subject every event of `stream` is published to. */
export function eventSubject(stream: string): string {
  return `${stream}.event`;
}

/** The subjects the stream captures. */
export function streamSubjects(stream: string): string[] {
  return [`${stream}.>`];
}

/** The log epoch for a stream: its name and creation time, so a deleted and recreated stream is a new log. */
export function streamEpoch(stream: string, created: string): string {
  return `${stream}-${created.replace(/[^0-9]/g, '')}`;
}

const EPOCH_NOTE = /^event-pipeline log, epoch (\S+?)(?:, created (\S+))?$/;

/** The description of a stream this code makes: its epoch and, once the stream exists, its creation time. */
export function epochNote(epoch: string, created?: string): string {
  return `event-pipeline log, epoch ${epoch}${created === undefined ? '' : `, created ${created}`}`;
}

/**
 * The epoch of stream `name` made at `created` with this description: the epoch in it while the creation time in it
 * is the stream's (or absent: streams made before it was kept), else the name and creation time. Hint: a stream
 * deleted and made again from its exported config carries the old description, and another creation time.
 */
export function epochFromNote(name: string, description: string, created: string): string {
  const note = EPOCH_NOTE.exec(description);
  if (note?.[1] === undefined || (note[2] !== undefined && note[2] !== created)) return streamEpoch(name, created);
  return note[1];
}
