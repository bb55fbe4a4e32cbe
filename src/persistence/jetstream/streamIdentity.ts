import type { StreamInfo } from '@nats-io/jetstream';
import { epochFromNote } from './streamSubjects.js';

/** What a node knew of its stream when it opened it: the log's epoch, and the stream's creation time and description. */
export interface StreamOrigin {
  readonly epoch: string;
  readonly created: string;
  readonly description: string;
}

/**
 * The stream's epoch: made with the stream and kept in its description with the stream's creation time, which a
 * stream deleted and made again (even from its exported config) does not keep (see epochFromNote).
 */
export function epochOf(info: StreamInfo): string {
  return epochFromNote(info.config.name, info.config.description ?? '', info.created);
}

/** The origin of the stream `info` describes, as a node opening it now would know it. */
export function originOf(info: StreamInfo): StreamOrigin {
  return { epoch: epochOf(info), created: info.created, description: info.config.description ?? '' };
}

/** How the stream answering now stands to the one a node opened: the same log, its description changed, or remade. */
export type IdentityChange =
  | { readonly kind: 'same' }
  | { readonly kind: 'described'; readonly problem: string }
  | { readonly kind: 'remade'; readonly epoch: string };

/**
 * Compare the stream answering with `info` to the one opened as `origin`. Why: the epoch lives in the description, so
 * an edit of the description alone (`nats stream edit --description`) changes it; running nodes took that for a stream
 * deleted and made again and refused publishes saying so. The creation time tells them apart: a stream made again has
 * its own, an edited one keeps it. The edit still changes the epoch a node started from then on reads (the README's
 * way to make a copy of a stream from an earlier version a new log), so it is refused until put back, naming how.
 */
export function identityChange(origin: StreamOrigin, info: StreamInfo): IdentityChange {
  const epoch = epochOf(info);
  if (epoch === origin.epoch) return { kind: 'same' };
  if (info.created !== origin.created) return { kind: 'remade', epoch };
  const name = info.config.name;
  const was = JSON.stringify(origin.description);
  return {
    kind: 'described',
    problem:
      `stream ${name}'s description, which holds the log's epoch, was changed (${was} → ` +
      `${JSON.stringify(info.config.description ?? '')}); the stream was not deleted (same creation time), but a node ` +
      `started now would take it for a new log (epoch ${epoch}) and rebuild its replica: this node refuses publishes ` +
      `until it is put back with \`nats stream edit ${name} --description ${was}\` (or restart every node to make it ` +
      'a new log on purpose)',
  };
}
