import { keyProtocols } from '../protocol/wsKeyProtocol.js';
import { keepRefusalBody } from './keepRefusalBody.js';

// Hint: method-style members are checked bivariantly, so the `ws` package's and the DOM's stricter event types fit.
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The subset of the WHATWG WebSocket the client uses: browsers, Node ≥ 22 and the `ws` package all provide it. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ readonly data: unknown }> | null;
  onclose: Handler<{ readonly code: number; readonly reason: string }> | null;
  onerror: Handler<unknown> | null;
}

/** A WebSocket class: the platform's `WebSocket`, or `ws`'s `WebSocket` in Node 20. */
export type WebSocketConstructor = new (url: string, protocols?: string[]) => WebSocketLike;

/**
 * How the API key travels on a WebSocket: `'protocol'` (the default) in `Sec-WebSocket-Protocol`, which proxies do
 * not log; `'query'` as `?api_key=`, for a server older than the protocol (it answers 401 to the other).
 */
export type ApiKeyIn = 'protocol' | 'query';

/** The readyState of an open socket. */
export const OPEN = 1;

let detected: Promise<WebSocketConstructor> | null = null;

/** The platform's WebSocket when it has one (browsers, Node ≥ 22), else the `ws` package (Node 20). */
export function detectWebSocket(): Promise<WebSocketConstructor> {
  detected ??= (async () => {
    const platform: unknown = Reflect.get(globalThis, 'WebSocket');
    if (typeof platform === 'function') return platform as WebSocketConstructor;
    // Hint: only reached where there is no global WebSocket; bundlers map `ws` to its browser stub.
    const mod = await import('ws');
    return mod.WebSocket;
  })();
  return detected;
}

/** The text of a message event (the server only sends text frames). */
export function messageText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer || data instanceof Uint8Array) return new TextDecoder().decode(data);
  return String(data);
}

/** The error text of an `error` event (ws carries `message`, browsers say nothing). */
export function errorText(event: unknown): string {
  if (typeof event === 'object' && event !== null) {
    const message: unknown = Reflect.get(event, 'message');
    if (typeof message === 'string') return message;
    const error: unknown = Reflect.get(event, 'error');
    if (error instanceof Error) return error.message;
  }
  return 'connection error';
}

/**
 * Throw a TypeError naming `url` unless it is an http(s) or ws(s) URL the endpoints can be joined to. Hint: a URL
 * that cannot work would otherwise be retried with backoff until the delivery timeout, as if the server were down;
 * `new URL` trims white space around a URL, but joined to an endpoint, a trailing space made every connect fail.
 */
export function checkBaseUrl(url: string): void {
  let protocol: string | null = null;
  try {
    protocol = new URL(url).protocol;
    endpointUrl(url, 'ws/publish', undefined);
  } catch {
    protocol = null; // not a URL at all, or none an endpoint can be joined to
  }
  const spaced = typeof url === 'string' && url.trim() !== url ? ' (white space at its start or end)' : '';
  if (spaced === '' && (protocol === 'http:' || protocol === 'https:' || protocol === 'ws:' || protocol === 'wss:'))
    return;
  throw new TypeError(
    `url: expected an http(s) or ws(s) URL such as http://localhost:8001, got ${JSON.stringify(url)}${spaced}`,
  );
}

/** `ws://host/path` from an http(s) or ws(s) base URL, with the API key as `api_key` when given. */
export function endpointUrl(base: string, path: string, apiKey: string | undefined): string {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (apiKey !== undefined && apiKey !== '') url.searchParams.set('api_key', apiKey);
  return url.toString();
}

/** checkBaseUrl, and a TypeError naming `apiKeyIn` unless it is one of its values. */
export function checkSocketTarget(target: SocketTarget): void {
  checkBaseUrl(target.url);
  const apiKeyIn: unknown = target.apiKeyIn;
  if (apiKeyIn !== undefined && apiKeyIn !== 'protocol' && apiKeyIn !== 'query')
    throw new TypeError(`apiKeyIn: must be 'protocol' or 'query', got ${JSON.stringify(apiKeyIn)}`);
}

/** Where a socket connects to: base URL, endpoint path, and the API key with the way it travels. */
export interface SocketTarget {
  readonly url: string;
  readonly apiKey?: string | undefined;
  readonly apiKeyIn?: ApiKeyIn;
}

/**
 * The key as it is sent: without spaces or tabs at its ends ('' for none). Hint: HTTP trims a header's spaces, so REST
 * took `  key  ` while the same key in a subprotocol or the query was refused (401); no key a server takes has them.
 */
export function sentKey(apiKey: string | undefined): string {
  return apiKey?.replace(/^[ \t]+|[ \t]+$/g, '') ?? '';
}

/** Open a socket to `path`, carrying the key as `target.apiKeyIn` says (no protocols offered without a key). */
export function openSocket(Ctor: WebSocketConstructor, target: SocketTarget, path: string): WebSocketLike {
  const apiKey = sentKey(target.apiKey);
  const socket =
    apiKey === '' || target.apiKeyIn === 'query'
      ? new Ctor(endpointUrl(target.url, path, apiKey))
      : new Ctor(endpointUrl(target.url, path, undefined), keyProtocols(apiKey));
  keepRefusalBody(socket);
  return socket;
}
