// REST calls with the API key; the key lives in sessionStorage once the server accepted it.

const STORAGE_KEY = 'event-pipeline:api-key';

/** The server answered 401: the key is missing or wrong. */
export class AuthError extends Error {
  name = 'AuthError';
}

/** The server answered with another error status (429, 503, …); the message has the status and the server's detail. */
export class ServerError extends Error {
  name = 'ServerError';

  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

let apiKey = sessionStorage.getItem(STORAGE_KEY) ?? '';

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
  const headers = apiKey === '' ? {} : { 'X-API-Key': apiKey };
  const response = await fetch(path, { headers, cache: 'no-store' });
  if (response.status === 401) throw new AuthError('the server refused the API key');
  if (!response.ok)
    throw new ServerError(`${path}: HTTP ${response.status}${await detailOf(response)}`, response.status);
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

/** What a failed request shows: the server's own refusal (a rate limit, a full disk) when it answered, else unreachable. */
export function failureText(error) {
  return error instanceof ServerError ? `server refused: ${error.message}` : 'server unreachable';
}
