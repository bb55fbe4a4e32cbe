import { DEFAULT_WS_MESSAGE_CAP_BYTES } from '../protocol/wsPublishLimits.js';
import type { CliIo } from './command.js';
import { readNdjson } from './ndjson.js';

/** One input line for publishEvents: an event to publish, or why the line could not be read as one. */
export type InputLine =
  | { readonly line: number; readonly event: unknown }
  | { readonly line: number; readonly error: string; readonly group?: string };

/**
 * `{line, event}` from NDJSON input (see readNdjson), each value mapped by `toEvent`; a line that cannot be read
 * (not JSON, not UTF-8) is `{line, error}`, reported by publishEvents in line order with the server's refusals.
 */
export async function* inputEvents(
  io: CliIo,
  file: string | undefined,
  signal: AbortSignal,
  messageCap: { readonly maxMessageBytes?: number },
  toEvent: (value: unknown) => unknown = (value) => value,
): AsyncGenerator<InputLine> {
  for await (const item of readNdjson(io, file, signal, lineBound(messageCap)))
    yield 'error' in item ? item : { line: item.line, event: toEvent(item.value) };
}

/** Longest input line read: 4x the message cap (whitespace a compact message drops), at most 256 MiB. */
export function lineBound(messageCap: { readonly maxMessageBytes?: number }): number {
  return Math.min(4 * (messageCap.maxMessageBytes ?? DEFAULT_WS_MESSAGE_CAP_BYTES), 256 * 1024 * 1024);
}
