/**
 * What the server answered a WebSocket upgrade it refused: read by `ws` (keepRefusalBody), or asked again with a plain
 * GET where the platform's WebSocket cannot say (askUpgrade). Pure: no I/O here.
 */
export interface UpgradeAnswer {
  /** The HTTP status: 401 a refused key, 403 a refused Origin, 429 later, 404 nothing serves the URL, … */
  readonly status: number;
  /** The server's `detail`, cut short and without control characters; null when none could be read. */
  readonly detail: string | null;
  /** How long the server asked to wait (`Retry-After` in seconds), in ms; null when it did not say. */
  readonly retryAfterMs: number | null;
  /**
   * The answer lacked the server's `X-Upgrade-Refusal` mark (read by `ws`): a proxy's, another server's at that URL, or
   * one from a server older than the mark; not a verdict on the key or the Origin (see fatalStatus).
   */
  readonly unmarked?: true;
}

/** ws's error text for a refused upgrade, which holds its status. */
const REFUSED = /^Unexpected server response: (\d{3})$/;

/** Bytes of a refused upgrade's body read for its detail (by keepRefusalBody and askUpgrade); the rest is not read. */
export const REFUSAL_BODY_BYTES = 4_096;

/** Characters of a detail kept in a message. */
const DETAIL_CHARS = 300;

/**
 * The longest `Retry-After` obeyed (5 minutes); a longer one is retried then. Hint: a proxy's `Retry-After: 86400`
 * parked a subscriber for a day (up to 24.8 days, a timer's limit, before).
 */
export const LONGEST_RETRY_AFTER_MS = 300_000;

/**
 * The answer in a close's code and reason (or socket error text), or null. Hint: `ws` reports a refused upgrade as the
 * error `Unexpected server response: 401` followed by close 1006 with an empty reason; a close reason is server text
 * that may mention any number (`resume with from_offset=401`), so only that exact pair counts.
 */
export function answerOfText(code: number, text: string): UpgradeAnswer | null {
  const match = code === 1006 ? REFUSED.exec(text) : null;
  return match === null ? null : { status: Number(match[1]), detail: null, retryAfterMs: null };
}

/** The `detail` of an error body (`{"detail": "…"}`), cut to DETAIL_CHARS with control characters as spaces; else null. */
export function detailOf(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const detail: unknown = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'detail') : undefined;
  if (typeof detail !== 'string' || detail === '') return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces
  const plain = detail.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  return plain.length <= DETAIL_CHARS ? plain : `${plain.slice(0, DETAIL_CHARS)}…`;
}

/** A `Retry-After` of whole seconds, in ms (null when absent or a date). */
export function retryAfterOf(header: string | null | undefined): number | null {
  if (header === null || header === undefined || !/^\s*\d+\s*$/.test(header)) return null;
  return Math.min(Number(header) * 1000, LONGEST_RETRY_AFTER_MS);
}

/**
 * The status of an answer no retry of the same URL will change, or null: 401 (the key) and 403 (Origin) always; any
 * other 4xx but 408 and 429 (404: nothing serves the URL), or an unmarked 401 or 403, only before any connection was
 * made (`neverConnected`), since once connected such an answer is a proxy's while the server redeploys.
 */
export function fatalStatus(answer: UpgradeAnswer | null, neverConnected: boolean): number | null {
  const status = answer?.status ?? 0;
  if ((status === 401 || status === 403) && answer?.unmarked !== true) return status;
  const clientError = status >= 400 && status < 500 && status !== 408 && status !== 429;
  return clientError && neverConnected ? status : null;
}

/**
 * A refused upgrade in words: `the server refused the API key (401: Invalid or missing API key)`. Hint: ws's own text
 * (`Unexpected server response: 401`) neither says what was refused nor carries the server's reason.
 */
export function refusalText(answer: UpgradeAnswer): string {
  const said = `${answer.status}${answer.detail === null ? '' : `: ${answer.detail}`}`;
  if (answer.unmarked === true) return `${refusedWhat(answer.status)} was refused (${said}) ${UNMARKED}`;
  if (answer.status === 401) return `the server refused the API key (${said})`;
  if (answer.status === 403) return `the server refused access (${said})`;
  return `the server refused the WebSocket upgrade (${said})`;
}

/** Whose an unmarked refusal was: not the pipeline's verdict (a proxy's, an older server's, a path none serves). */
const UNMARKED = "by an answer not marked as the pipeline's (no X-Upgrade-Refusal)";

/** What a refusal of `status` refused, in words. */
function refusedWhat(status: number): string {
  if (status === 401) return 'the API key';
  return status === 403 ? 'access' : 'the WebSocket upgrade';
}
