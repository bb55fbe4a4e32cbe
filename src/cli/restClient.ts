import * as v from 'valibot';
import { formatIssues } from '../protocol/issue.js';
import { issuesFromValibot } from '../protocol/issuesFromValibot.js';
import { type BodyRead, MAX_REPLY_BYTES, readCappedBody } from './cappedBody.js';
import { CliError, EXIT } from './command.js';
import { StatsReply } from './replySchemas.js';

/** How long one request may go unanswered before the CLI gives up on the server (exit 3). */
export const REQUEST_TIMEOUT_MS = 30_000;

/** The reason a request failed before any answer, as one line. */
function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}

/** The start of a body for an error line: a proxy's error page must not flood the terminal. */
function excerpt(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 120 ? `${oneLine.slice(0, 120)}…` : oneLine;
}

/**
 * GET a JSON document from the server and check its shape with `schema`. Unreachable or silent for `timeoutMs`, or a
 * body not finished by then → exit 3; 401/403 → exit 4; another error status, a redirect, a body over `maxBytes`, or a
 * body that is not the expected JSON → exit 1, naming the request and what was wrong. Hint: redirects are not
 * followed, since fetch would send the API key to wherever one points; the line names the target so --url can be
 * corrected.
 */
export async function getJson<const TSchema extends v.GenericSchema>(
  base: string,
  path: string,
  apiKey: string | undefined,
  schema: TSchema,
  timeoutMs = REQUEST_TIMEOUT_MS,
  maxBytes = MAX_REPLY_BYTES,
): Promise<v.InferOutput<TSchema>> {
  return (await getReply(base, path, apiKey, schema, timeoutMs, maxBytes)).body;
}

/** getJson, with the reply's headers (GET /events names deleted offsets in one). */
export async function getReply<const TSchema extends v.GenericSchema>(
  base: string,
  path: string,
  apiKey: string | undefined,
  schema: TSchema,
  timeoutMs = REQUEST_TIMEOUT_MS,
  maxBytes = MAX_REPLY_BYTES,
): Promise<{ body: v.InferOutput<TSchema>; headers: Headers }> {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  const request = `GET ${url.pathname}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: apiKey === undefined ? {} : { 'X-API-Key': apiKey },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const why = isTimeout(error) ? `no answer to ${request} within ${timeoutMs / 1000} s` : causeOf(error);
    throw new CliError(`cannot reach ${url.origin}: ${why}`, EXIT.unreachable);
  }
  const text = bodyText(await readCappedBody(response, maxBytes), `${url.origin} answered ${request}`, timeoutMs);
  if (response.status === 401 || response.status === 403)
    throw new CliError(`${response.status}: the server refused the API key (${text})`, EXIT.unauthorized);
  if (response.status >= 300 && response.status < 400)
    throw new CliError(
      `${url.origin} answered ${request} with ${response.status}, a redirect to ${response.headers.get('location') ?? '(no Location)'}; point --url at the pipeline itself`,
      EXIT.failed,
    );
  if (!response.ok) throw new CliError(`${response.status} from ${url.pathname}: ${errorBodyText(text)}`, EXIT.failed);
  const body = readReply(text, schema, `${url.origin} (${request})`, response.headers.get('content-type'));
  return { body, headers: response.headers };
}

const isTimeout = (error: unknown): boolean => error instanceof Error && error.name === 'TimeoutError';

/**
 * The text of a body read, or a CliError saying what happened to it. Hint: a body still streaming at the timeout was
 * reported as "no answer", and one streaming without end was buffered whole (2.3 GB in 30 s).
 */
function bodyText(read: BodyRead, answered: string, timeoutMs: number): string {
  if (read.kind === 'text') return read.text;
  if (read.kind === 'tooLarge')
    throw new CliError(
      `${answered} with a body over ${read.maxBytes} bytes (${Number((read.maxBytes / 2 ** 20).toFixed(1))} MiB), not read further: no answer of the pipeline is that large (a page of 1,000 records at the default MAX_PAYLOAD_BYTES is about 66 MB)`,
      EXIT.failed,
    );
  const why = isTimeout(read.error) ? `not finished within ${timeoutMs / 1000} s` : `cut off: ${causeOf(read.error)}`;
  throw new CliError(`${answered}, but its body was ${why} (${read.bytes} bytes read)`, EXIT.unreachable);
}

/** The body as `schema`'s output, or a CliError saying the server did not answer as an event pipeline, and why. */
function readReply<const TSchema extends v.GenericSchema>(
  text: string,
  schema: TSchema,
  where: string,
  contentType: string | null,
): v.InferOutput<TSchema> {
  const notPipeline = `${where} did not answer as an event pipeline`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const type = contentType === null ? 'no Content-Type' : `Content-Type ${contentType}`;
    throw new CliError(`${notPipeline}: the body is not JSON (${type}): ${excerpt(text)}`, EXIT.failed);
  }
  const result = v.safeParse(schema, parsed);
  if (!result.success)
    throw new CliError(
      `${notPipeline}: ${formatIssues(issuesFromValibot(result.issues, 'body').slice(0, 3))}`,
      EXIT.failed,
    );
  return result.output;
}

/** Fail fast with the right exit code when the server is down or refuses the key (WebSocket errors say less). */
export async function checkServer(base: string, apiKey: string | undefined): Promise<void> {
  await getJson(base, 'stats', apiKey, StatsReply);
}

/** The server's error body: `{detail}` as a string, or as a list naming each field (`msg` starts with the field). */
const DetailBody = v.object({ detail: v.union([v.string(), v.array(v.object({ msg: v.string() }))]) });

/** An error body as one line: the server's detail, or each field's message, else the body as sent. */
export function detailText(body: string): string {
  return detailOf(body) ?? body;
}

/**
 * An error answer's body for an error line: the pipeline's detail in full, anything else (another server's 404 page)
 * as a short excerpt. Hint: a whole HTML page on stderr hid the status line above it.
 */
export function errorBodyText(body: string): string {
  return detailOf(body) ?? excerpt(body);
}

/** The server's detail, or each field's message joined; null for a body of another shape. */
function detailOf(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const result = v.safeParse(DetailBody, parsed);
  if (!result.success) return null;
  const { detail } = result.output;
  return typeof detail === 'string' ? detail : detail.map((item) => item.msg).join('; ');
}
