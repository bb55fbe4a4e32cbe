import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type CliIo, UsageError } from './command.js';

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

/**
 * A UsageError naming --file unless `path` (when given, and not `-` for stdin) is a readable file. Hint: checked
 * before the server is contacted, so a typo in a path is exit 2 with its reason, not an ENOENT after connecting.
 */
export function checkInputFile(path: string | undefined): void {
  if (path === undefined || path === '-') return;
  let isDirectory: boolean;
  try {
    // Hint: a pipe or a device reads like a file (`--file <(cmd)`, `--file /dev/stdin`); a directory does not.
    isDirectory = statSync(path).isDirectory();
    accessSync(path, constants.R_OK);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'error';
    throw new UsageError(`--file: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code})`}: ${path}`);
  }
  if (isDirectory) throw new UsageError(`--file: is a directory: ${path}`);
}
