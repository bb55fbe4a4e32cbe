import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { ApiKeyIn } from '../client/index.js';
import { WS_MESSAGE_CAP_CEILING } from '../protocol/wsPublishLimits.js';

/** Exit codes of `event-pipeline` (documented in --help and the README). */
export const EXIT = {
  ok: 0,
  /** Some events were rejected or the server answered with an error. */
  failed: 1,
  /** Bad arguments or input. */
  usage: 2,
  /** The server could not be reached. */
  unreachable: 3,
  /** The server refused the API key (401/403). */
  unauthorized: 4,
  /** The log was replaced (its epoch changed) under a following tail. */
  logReplaced: 5,
  /** Stopped by SIGINT (128 + 2, as shells report it). */
  interrupted: 130,
} as const;

/** A usage error: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure with its exit code and a one-line message. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Where a command writes; injectable for tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
}

/** One subcommand. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Options every command that talks to a server takes. */
export const SERVER_OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** The usage lines of the server options. */
export const SERVER_USAGE = `  --url URL          server base URL (default $PIPELINE_URL or http://localhost:8001)
  --api-key KEY      API key (default $API_KEY)
  -h, --help         this help`;

/** The option of the commands that publish through the SDK (publish, import). */
export const MESSAGE_CAP_OPTION = { 'max-message-bytes': { type: 'string' } } as const satisfies NonNullable<
  ParseArgsConfig['options']
>;

/** The usage lines of MESSAGE_CAP_OPTION. */
export const MESSAGE_CAP_USAGE = `  --max-message-bytes N
                     largest message the server takes, in bytes (default 3355443: a server's cap at its default
                     settings); raise it to the server's MAX_WS_MESSAGE_BYTES when that is larger. An event that
                     would make a larger message fails at once, named with its line`;

/**
 * The SDK's maxMessageBytes from --max-message-bytes ({} for its default). Hint: past a server's cap the connection
 * is closed with no reply, so the SDK refuses such an event; a server that takes more needs this raised to match.
 */
export function messageCapOf(values: { 'max-message-bytes'?: string | undefined }): { maxMessageBytes?: number } {
  const bytes = integerFlag('max-message-bytes', values['max-message-bytes'], 1, WS_MESSAGE_CAP_CEILING);
  return bytes === undefined ? {} : { maxMessageBytes: bytes };
}

/** The option of the commands that open a WebSocket (publish, import, tail --follow). */
export const API_KEY_IN_OPTION = { 'api-key-in': { type: 'string' } } as const satisfies NonNullable<
  ParseArgsConfig['options']
>;

/** The usage lines of API_KEY_IN_OPTION. */
export const API_KEY_IN_USAGE = `  --api-key-in protocol|query
                     how the WebSocket carries the key (default $API_KEY_IN or protocol): protocol in
                     Sec-WebSocket-Protocol, which proxies do not log; query as ?api_key= in the URL, which a server
                     of this project older than 2026-12-04 23:01 UTC needs (it answers 401 to the other)`;

/**
 * The SDK's apiKeyIn from --api-key-in, then $API_KEY_IN ({} for the SDK's default); another value is a UsageError
 * naming its source. Hint: never chosen by the CLI itself after a 401: whatever answered would get the key in its URL.
 */
export function apiKeyInOf(
  values: { 'api-key-in'?: string | undefined },
  env: NodeJS.ProcessEnv,
): { apiKeyIn?: ApiKeyIn } {
  // Hint: an empty API_KEY_IN is taken as unset, as for PIPELINE_URL.
  const given = values['api-key-in'] ?? (env.API_KEY_IN || undefined);
  if (given === undefined) return {};
  if (given === 'protocol' || given === 'query') return { apiKeyIn: given };
  const from = values['api-key-in'] !== undefined ? '--api-key-in' : 'API_KEY_IN';
  throw new UsageError(`${from}: expected protocol or query, got ${JSON.stringify(given)}`);
}

/** Parse `args` strictly; an unknown option is a UsageError. */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
  positionals = false,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: positionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The server URL and key from flags, then the environment; a URL that is not http(s) is a UsageError naming its source. */
export function serverOf(
  values: { url?: string | undefined; 'api-key'?: string | undefined },
  env: NodeJS.ProcessEnv,
): { url: string; apiKey: string | undefined } {
  // Hint: an empty PIPELINE_URL is taken as unset, as shells mean it.
  const url = values.url ?? (env.PIPELINE_URL || undefined) ?? 'http://localhost:8001';
  const problem = baseUrlProblem(url);
  if (problem !== null) {
    const from = values.url !== undefined ? '--url' : 'PIPELINE_URL';
    throw new UsageError(
      `${from}: expected an http(s) URL such as http://localhost:8001, got ${JSON.stringify(url)}${problem}`,
    );
  }
  const given = values['api-key'] ?? env.API_KEY;
  // Hint: HTTP trims a header's spaces and tabs, so REST took `  key  ` while the WebSocket (the key in a subprotocol)
  // refused it: trimmed here for both. No key a server takes has them (it refuses to start with one).
  const apiKey = given?.replace(/^[ \t]+|[ \t]+$/g, '');
  const lead = given === undefined ? 0 : given.length - given.replace(/^[ \t]+/, '').length;
  const at = apiKey === undefined ? -1 : apiKey.search(/[^\x20-\x7e\x80-\xff]/);
  // Hint: an HTTP header cannot carry it; fetch's own error quoted the key and read as "cannot reach" (exit 3).
  if (at >= 0)
    throw new UsageError(
      `${values['api-key'] !== undefined ? '--api-key' : 'API_KEY'}: holds a control character or one past U+00FF (character ${lead + at + 1}), which no HTTP header can carry; the key is not shown`,
    );
  return { url, apiKey };
}

/**
 * Why `url` cannot be a server base URL ('' when it is not an http(s) URL at all), or null when it can. Hint: the
 * commands append paths to it (`/stats`, `/ws/publish`), so a URL the parser forgives alone (`http://h:8001 ` with a
 * trailing space) failed later as "Invalid URL" (exit 1), and a query or fragment would be silently dropped.
 */
function baseUrlProblem(url: string): string | null {
  // Hint: the URL parser refuses a port past 65535 as a whole ("Invalid URL"), which said nothing of the port.
  const port = /^https?:\/\/(?:\[[^\]]*\]|[^/:?#]*):(\d+)(?:[/?#]|$)/i.exec(url)?.[1];
  if (port !== undefined && Number(port) > 65_535) return ` (port ${port} is past 65535)`;
  if (!URL.canParse(url)) return '';
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\s\u0000-\u001f\u007f]/.test(url)) return ' (it holds a space or a control character)';
  if (parsed.search !== '' || parsed.hash !== '' || url.includes('?') || url.includes('#'))
    return ' (no query or fragment: each command adds its own path and query)';
  if (parsed.username !== '' || parsed.password !== '') return ' (no user or password in it: use --api-key)';
  return null;
}

/** An integer flag in [min, max], or a UsageError naming it. */
export function integerFlag(
  name: string,
  text: string | undefined,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (text === undefined) return undefined;
  // Hint: decimal digits only, as the server reads `limit`: Number() would take `1e3`, `0x10` and ` 10.0 ` too.
  const digits = /^[0-9]+$/.test(text);
  const value = digits ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    // Hint: a number past 2^53 is refused for its size, which `≥ 1` alone did not say (9007199254740993 is ≥ 1).
    const huge = digits && !Number.isSafeInteger(value);
    const range =
      max === Number.MAX_SAFE_INTEGER && !huge
        ? `≥ ${min}`
        : `from ${min} to ${max}${max === Number.MAX_SAFE_INTEGER ? ' (2^53 - 1)' : ''}`;
    // Hint: say why `1e3` is refused, since it reads as a number elsewhere.
    const how = !digits && Number.isFinite(Number(text)) ? ' in decimal digits' : '';
    throw new UsageError(
      `${name.length === 1 ? '-' : '--'}${name}: expected an integer ${range}${how}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/**
 * A filter flag's value, or a UsageError naming it when it is empty. Hint: the server reads an empty filter as none
 * (`session_id=` matches every event), so `--session "$UNSET_VAR"` silently printed every session's events.
 */
export function filterFlag(name: string, value: string | undefined): string | undefined {
  if (value === '')
    throw new UsageError(
      `--${name}: empty; an empty filter would match every event (leave the flag out for no filter)`,
    );
  return value;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it escapes
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Text from the log made safe for a terminal: control characters (C0, DEL, C1) and the Unicode line and paragraph
 * separators as `\u` escapes. Hint: session and user ids may hold any character, and printed raw an ESC, a CSI (0x9b)
 * or a newline could recolour the screen or forge a line.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * An SDK message in the CLI's words: the SDK points at its `url`, `maxMessageBytes` and `apiKeyIn` options, which the
 * CLI calls --url, --max-message-bytes and --api-key-in. Hint: the SDK's text belongs to its own users (src/client), so
 * the CLI rewrites it where it prints it.
 */
export function cliWording(message: string): string {
  return message
    .replaceAll('check the url option', 'check --url')
    .replaceAll('maxMessageBytes', '--max-message-bytes')
    .replaceAll("apiKeyIn: 'query'", '--api-key-in query');
}
