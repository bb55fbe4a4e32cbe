import type { CliIo } from './command.js';
import { ErrorLines } from './errorLines.js';
import { readNdjson } from './ndjson.js';

/**
 * `{line, event}` from NDJSON input (see readNdjson), each value mapped by `toEvent`; lines that cannot be read (not
 * JSON, not UTF-8) are counted in `failed` and reported one stderr line per run of the same error.
 */
export async function* inputEvents(
  io: CliIo,
  file: string | undefined,
  signal: AbortSignal,
  failed: { count: number },
  toEvent: (value: unknown) => unknown = (value) => value,
): AsyncGenerator<{ line: number; event: unknown }> {
  const errors = new ErrorLines(io, 'lines');
  try {
    for await (const item of readNdjson(io, file, signal)) {
      if ('error' in item) {
        errors.add(item.line, item.error, item.group);
        failed.count++;
      } else yield { line: item.line, event: toEvent(item.value) };
    }
  } finally {
    errors.flush();
  }
}
