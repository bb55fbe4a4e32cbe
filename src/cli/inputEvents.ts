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
  toEvent: (value: unknown) => unknown = (value) => value,
): AsyncGenerator<InputLine> {
  for await (const item of readNdjson(io, file, signal))
    yield 'error' in item ? item : { line: item.line, event: toEvent(item.value) };
}
