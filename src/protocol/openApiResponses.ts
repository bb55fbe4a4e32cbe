import { ERROR_EXAMPLES } from './openApiExamples.js';
import { type ResponseHeader, responseHeaders } from './openApiHeaders.js';
import { type RefusalDoc, refusalSummary } from './openApiRefusals.js';
import type { ResponseDoc, RouteDoc } from './openApiRoutes.js';

/**
 * What each shared error answer means. Hint: no 400 here: each operation that answers 400 says for what, with its
 * own examples (openApiRefusals.ts), as 404 and 422 mostly do.
 */
const ERROR_WORDS: Readonly<Record<number, string>> = {
  401: 'Missing or wrong `X-API-Key` (only when REQUIRE_AUTH=true)',
  403: 'A DELETE sent by a web page (an `Origin` header) of another origin that CORS_ORIGINS does not list by name',
  404: 'No such resource',
  405: 'A documented path asked with a method it does not list (`Allow` names its methods); no documented operation answers it',
  409: 'A producer id already stored with different content, or given to two different events of one batch',
  413: 'Body larger than MAX_BODY_BYTES',
  415: 'A compressed body (`Content-Encoding` other than `identity`: `Accept-Encoding: identity` says what is taken), or a `Content-Type` that is not JSON',
  422: 'Validation failed: one entry per field at fault; also, as FastAPI answers them, a body that is not JSON (`type: json_invalid`, `loc: ["body", position]`, the reason in `ctx.error`) and an empty body (`type: missing`, `loc: ["body"]`)',
  429: 'Per-client limit (RATE_LIMIT_*; MAX_HTTP_STREAMS_PER_IP answers under way for GET /events and for an answer over 64 KiB, for POST /events MAX_BODY_BUFFER_BYTES_PER_IP bytes of bodies being received); `Retry-After` says when to retry',
  500: 'An unexpected failure (logged with the path; the server keeps serving), or a read that met a damaged page of the log, named with its file',
  503: 'Over MAX_PENDING_EVENTS, MAX_PENDING_BYTES or MAX_BODY_BUFFER_BYTES, shutting down, or the log refuses writes; `Retry-After: 1`',
};

/** The headers each error answer carries besides X-Request-Id. */
const ERROR_HEADERS: Readonly<Partial<Record<number, readonly ResponseHeader[]>>> = {
  401: ['WWW-Authenticate'],
  405: ['Allow'],
  415: ['Accept-Encoding'],
  429: ['Retry-After'],
  503: ['Retry-After'],
};

/** The 429 of a route no rate class covers but the API key guards (/metrics): only a guessed key can spend it. */
export const KEY_GUESS_429 = 'E429KeyGuess';
const KEY_GUESS_WORDS =
  "A missing or wrong `X-API-Key` (REQUIRE_AUTH=true) spends the client's RATE_LIMIT_QUERY budget, when that is set, so keys cannot be guessed without limit: once it is spent such a request gets 429 instead of 401. A request with the right key spends nothing";

/** An error answer: `{detail}` (or the 422 list) with `examples` by name, or the status's shared example. */
function errorResponse(status: number, description: string, examples?: RefusalDoc['examples']) {
  const schema = { $ref: `#/components/schemas/${status === 422 ? 'ValidationError' : 'Error'}` };
  const media =
    examples === undefined
      ? { schema, example: ERROR_EXAMPLES[status] }
      : {
          schema,
          examples: Object.fromEntries(
            examples.map((e) => [e.name, { summary: refusalSummary(e), value: e.value }] as const),
          ),
        };
  return { description, headers: responseHeaders(ERROR_HEADERS[status]), content: { 'application/json': media } };
}

/**
 * `get_events` for GET /events: an operation's id, and the prefix of the components only it uses. Hint: those are
 * shared by its unversioned and versioned form, so the document states each once (it stays under 64 KiB, past which
 * an answer can be refused with 429: see AnswersUnderWay).
 */
export function operationName(method: string, path: string): string {
  return `${method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

/** One documented operation: its method, its unversioned OpenAPI path, and its words. */
export type OperationDoc = readonly [method: string, path: string, doc: RouteDoc];

/**
 * `components.responses`: the shared error answers (`E401` …), the key-guess 429, and each operation's own answers
 * (`get_events_200`) and refusals (`get_events_400`).
 */
export function responseComponents(operations: readonly OperationDoc[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, words] of Object.entries(ERROR_WORDS)) out[`E${status}`] = errorResponse(Number(status), words);
  out[KEY_GUESS_429] = errorResponse(429, KEY_GUESS_WORDS);
  for (const [method, path, doc] of operations) {
    const name = operationName(method, path);
    for (const [status, reply] of Object.entries(doc.responses)) out[`${name}_${status}`] = successResponse(reply);
    for (const [status, refusal] of Object.entries(doc.refusals ?? {}))
      out[`${name}_${status}`] = errorResponse(Number(status), refusal.description, refusal.examples);
  }
  return out;
}

/** One documented success answer: a named schema, an inline one (a JSON document), or text of its media type. */
function successResponse(doc: ResponseDoc): Record<string, unknown> {
  const headers = responseHeaders(doc.headers);
  if (doc.schema === undefined && doc.mediaType === undefined) return { description: doc.description, headers };
  const media = doc.mediaType ?? 'application/json';
  const schema =
    doc.schema !== undefined ? { $ref: `#/components/schemas/${doc.schema}` } : (doc.jsonSchema ?? textOf(media));
  const content = doc.example === undefined ? { schema } : { schema, example: doc.example };
  return { description: doc.description, headers, content: { [media]: content } };
}

/** Thrown at start (and in the docs test) for a JSON answer the route table gives no schema. */
export class UntypedAnswerError extends Error {
  override readonly name = 'UntypedAnswerError';
}

/** The schema of a text body; a JSON body without a schema is a mistake in the route table. */
function textOf(media: string): { type: 'string' } {
  // Hint: `{type: "string"}` once stood for the OpenAPI document itself, which is a JSON object.
  if (/json/i.test(media)) throw new UntypedAnswerError(`a ${media} answer needs a schema (ResponseDoc.jsonSchema)`);
  return { type: 'string' };
}
