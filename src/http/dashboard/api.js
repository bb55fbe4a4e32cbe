// REST calls with the API key; the key lives in sessionStorage once the server accepted it.

const STORAGE_KEY = 'event-pipeline:api-key';

/** The server answered 401: the key is missing or wrong. */
export class AuthError extends Error {
  name = 'AuthError';
}

/** The server answered with another error status (429, 503, …); the message has the status and the server's detail. */
export class ServerError extends Error {
  name = 'ServerError';

  constructor(message, status, detailed) {
    super(message);
    this.status = status;
    /** The answer carried the server's own `{detail}` (a proxy's error page does not). */
    this.detailed = detailed;
  }
}

// Hint: trimmed as the form trims it (a key kept before it did would still fail the tail's upgrade).
let apiKey = (sessionStorage.getItem(STORAGE_KEY) ?? '').trim();

/**
 * Why `key` cannot be sent ('' when it can). Hint: a server's keys are printable ASCII (config.ts), and fetch throws
 * on a header with a NUL or a character past U+00FF, which the page showed as "server unreachable".
 */
export function keyProblem(key) {
  const at = [...key].findIndex((char) => char < ' ' || char > '~');
  if (at < 0) return '';
  return `That key cannot be sent: an API key is printable ASCII (letters, digits, punctuation, spaces), and its character ${at + 1} is not.`;
}

/** The key in use ('' when none). */
export function currentKey() {
  return apiKey;
}

/** Use `key` from now on; `remember` keeps it in sessionStorage (this tab only) for reloads. */
export function useKey(key, remember) {
  apiKey = key;
  if (remember) sessionStorage.setItem(STORAGE_KEY, key);
  else sessionStorage.removeItem(STORAGE_KEY);
}

/** GET a JSON body from the server this page came from; AuthError on 401. */
export async function getJson(path) {
  if (keyProblem(apiKey) !== '') throw new AuthError(keyProblem(apiKey));
  const headers = apiKey === '' ? {} : { 'X-API-Key': apiKey };
  const response = await fetch(path, { headers, cache: 'no-store' });
  if (response.status === 401) throw new AuthError('the server refused the API key');
  if (!response.ok) {
    const detail = await detailOf(response);
    throw new ServerError(`${path}: HTTP ${response.status}${detail}`, response.status, detail !== '');
  }
  return response.json();
}

/** ": detail" of an error reply whose body is `{detail: string}`, else ''. */
async function detailOf(response) {
  try {
    const body = await response.json();
    return typeof body?.detail === 'string' ? `: ${body.detail}` : '';
  } catch {
    return '';
  }
}

/**
 * What a failed request shows: the server's own refusal (a rate limit, a full disk) when it answered, else unreachable.
 * Hint: behind a proxy a server that is down is a 502-504 without the server's `{detail}` (nginx's is an HTML page).
 */
export function failureText(error) {
  if (!(error instanceof ServerError)) return 'server unreachable';
  if (!error.detailed && error.status >= 502 && error.status <= 504)
    return `server unreachable (the proxy in front answered HTTP ${error.status})`;
  return `server refused: ${error.message}`;
}
