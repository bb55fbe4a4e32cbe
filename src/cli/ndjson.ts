import { isUtf8 } from 'node:buffer';
import { accessSync, closeSync, constants, createReadStream, open, openSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { addAbortSignal, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { lossyIntegerMessage, storedLossyInteger } from '../protocol/lossyIntegers.js';
import { readPublishMessage, storedParts } from '../protocol/publishMessage.js';
import { type CliIo, printable, UsageError } from './command.js';
import { outOfRangeNumberIn } from './outOfRangeNumber.js';

/** One parsed NDJSON line with its line number, or the parse error. */
export type NdjsonLine =
  | { readonly line: number; readonly value: unknown }
  | { readonly line: number; readonly error: string; readonly group?: string };

const NEWLINE = 0x0a;
const UTF8_BOM = '\ufeff';

/**
 * NDJSON split from raw bytes: lines end at `\n` (a `\r` before it is dropped), blank lines are skipped, a UTF-8 BOM
 * before the first line is ignored (editors on Windows write one). Hint: bytes, not a decoded stream, because decoding
 * would turn a line that is not UTF-8 (a Latin-1 export) into U+FFFD and publish text the file never held; such a
 * line is an error instead, as the server refuses such a body.
 */
export class NdjsonLines {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of the current line past maxLineBytes: dropped as they come, the line an error at its end. */
  private overBy = 0;
  private line = 0;

  /**
   * `maxLineBytes`: a longer line is an error, its bytes not kept. Hint: a line is held whole until its newline, so
   * `--file /dev/zero` grew without bound (2.5 GB in 30 s), and a line past V8's longest string ended the read.
   */
  constructor(private readonly maxLineBytes = Number.POSITIVE_INFINITY) {}

  /** The lines `chunk` completes. */
  push(chunk: Buffer): NdjsonLine[] {
    const out: NdjsonLine[] = [];
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      this.hold(chunk.subarray(start, end));
      this.emit(out);
      start = end + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
    return out;
  }

  /** The last line, when the input did not end with a newline. */
  end(): NdjsonLine[] {
    const out: NdjsonLine[] = [];
    if (this.pending.length > 0 || this.overBy > 0) this.emit(out);
    return out;
  }

  private hold(part: Buffer): void {
    if (this.overBy === 0 && this.pendingBytes + part.length <= this.maxLineBytes) {
      this.pending.push(part);
      this.pendingBytes += part.length;
      return;
    }
    this.overBy += part.length;
    this.pending = [];
  }

  private emit(out: NdjsonLine[]): void {
    const overBy = this.overBy;
    let bytes = Buffer.concat(this.pending);
    this.pending = [];
    [this.pendingBytes, this.overBy] = [0, 0];
    this.line++;
    if (overBy > 0) {
      const error = `longer than ${this.maxLineBytes} bytes, more than a message can carry (not read)`;
      out.push({ line: this.line, error });
      return;
    }
    if (bytes.at(-1) === 0x0d) bytes = bytes.subarray(0, -1);
    if (!isUtf8(bytes)) {
      out.push({ line: this.line, error: 'not valid UTF-8 (write the file as UTF-8)' });
      return;
    }
    let text = bytes.toString('utf8');
    if (this.line === 1 && text.startsWith(UTF8_BOM)) text = text.slice(1);
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      // Hint: JSON.parse quotes the line; a binary file's control characters must not reach the terminal.
      const message = `invalid JSON: ${printable((error as Error).message)}${loneCrHint(text)}`;
      // Hint: grouped as one error, since the message differs on every line (it quotes the line and its position).
      out.push({ line: this.line, error: message, group: 'invalid JSON' });
      return;
    }
    // Hint: the server refuses such an integer too; saying so here names the line before anything is sent.
    const stored = () => storedParts(value, readPublishMessage(value, 'body'));
    const lossy = storedLossyInteger(text, stored);
    if (lossy !== null)
      return void out.push({ line: this.line, error: `${lossy.path || 'line'}: ${lossyIntegerMessage(lossy.token)}` });
    // Hint: `1e400` parses to Infinity; the SDK then named that, not the number written, with another exit code.
    const beyond = outOfRangeNumberIn(text, stored);
    out.push(beyond === null ? { line: this.line, value } : { line: this.line, error: beyond });
  }
}

/**
 * The non-empty lines of a file (or stdin when `path` is undefined or `-`), parsed as JSON one by one. When `signal`
 * aborts, the input is destroyed and the read in progress fails with an AbortError (a pipe may never send more).
 */
export async function* readNdjson(
  io: CliIo,
  path: string | undefined,
  signal?: AbortSignal,
  maxLineBytes?: number,
): AsyncGenerator<NdjsonLine> {
  const input = path === undefined || path === '-' ? io.stdin : await openFile(path, signal);
  if (signal !== undefined && input instanceof Readable) addAbortSignal(signal, input);
  const lines = new NdjsonLines(maxLineBytes);
  for await (const chunk of input) yield* lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  yield* lines.end();
}

/**
 * Why a line that is not JSON may be several: it holds a carriage return, and lines end at `\n` (a file from an
 * editor that ends lines with `\r` alone is one line here).
 */
function loneCrHint(text: string): string {
  const at = text.indexOf('\r');
  return at < 0 ? '' : ` (a carriage return at position ${at}: lines end at \\n, not at \\r alone)`;
}

const openFd = promisify(open);

/**
 * A file to read. Hint: a FIFO (`mkfifo`, `<(…)`) is read through the event loop, as stdin is, not by a read in
 * Node's thread pool: such a read waits for the writer's next bytes, for ever if it sends none, and neither an abort
 * nor the process's exit can end it (Ctrl-C printed the summary and the process stayed).
 */
async function openFile(path: string, signal: AbortSignal | undefined): Promise<Readable> {
  if (!statSync(path).isFIFO()) return createReadStream(path);
  if (signal?.aborted === true) return Readable.from([]);
  // Hint: opening a FIFO waits for a writer; opening it to write, without blocking, ends that wait on an abort. Tried
  // until the open returns: one queued in the thread pool but not yet waiting has no reader to wake (ENXIO).
  const wake = () => {
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader waits yet, or any more: tried again until the open returns.
    }
  };
  let waking: NodeJS.Timeout | undefined;
  const onAbort = () => {
    wake();
    waking = setInterval(wake, 20);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let fd: number;
  try {
    fd = await openFd(path, 'r');
  } finally {
    signal?.removeEventListener('abort', onAbort);
    clearInterval(waking);
  }
  // Hint: the socket owns the descriptor (libuv makes it non-blocking) and closes it when it ends or is destroyed.
  return new Socket({ fd, readable: true, writable: false });
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
