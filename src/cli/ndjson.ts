import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CliIo } from './command.js';

/** One parsed NDJSON line with its line number, or the parse error. */
export type NdjsonLine =
  | { readonly line: number; readonly value: unknown }
  | { readonly line: number; readonly error: string };

/** The non-empty lines of a file (or stdin when `path` is undefined or `-`), parsed as JSON one by one. */
export async function* readNdjson(io: CliIo, path: string | undefined): AsyncGenerator<NdjsonLine> {
  const input = path === undefined || path === '-' ? io.stdin : createReadStream(path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (error) {
      yield { line, error: (error as Error).message };
    }
  }
}
