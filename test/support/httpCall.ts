import type { EventRecord } from '../../src/protocol/eventRecord.js';

/** The event record every REST endpoint returns. */
export type { EventRecord };

/** One FastAPI-style validation issue. */
export interface DetailItem {
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly type: string;
  readonly input?: unknown;
  readonly ctx?: Readonly<Record<string, unknown>>;
}

/** A response with its body already read: the raw text, and the parsed JSON (undefined when not JSON). */
export interface JsonResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: T;
}

/** Fetch and read the whole body, keeping the status, headers and raw text for contract checks. */
export async function call<T = unknown>(url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: body as T };
}

/** The header a JSON body goes with (fetch sends a string body as text/plain, which POST /events refuses). */
export const JSON_TYPE = { 'Content-Type': 'application/json' } as const;

/** POST /events with one event, an array, or a raw string body. */
export function publish<T = EventRecord>(
  base: string,
  value: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  return call<T>(`${base}/events`, {
    method: 'POST',
    headers: { ...JSON_TYPE, ...headers },
    body: typeof value === 'string' ? value : JSON.stringify(value),
  });
}

/** GET `${base}${path}`. */
export function getJson<T = unknown>(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  return call<T>(`${base}${path}`, { headers });
}

/** GET /events with query parameters; throws unless the answer is 200. */
export async function queryEvents(base: string, params: Record<string, string | number> = {}): Promise<EventRecord[]> {
  const search = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await getJson<EventRecord[]>(base, `/events?${search.toString()}`);
  if (res.status !== 200) throw new Error(`GET /events?${search.toString()} answered ${res.status}: ${res.text}`);
  return res.body;
}

/** A valid event with the given fields overriding the defaults. */
export function event(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_type: 'answer_submitted', source: 'quiz_engine', ...fields };
}

/** A hand-driven clock for `deps.now`. */
export class ManualClock {
  constructor(public ms: number) {}

  readonly now = (): number => this.ms;

  advance(ms: number): void {
    this.ms += ms;
  }

  iso(): string {
    return new Date(this.ms).toISOString();
  }
}

/** The record's keys, in the order the contract writes them. */
export const RECORD_KEYS = ['id', 'offset', 'event_type', 'source', 'session_id', 'user_id', 'payload', 'timestamp'];

/** An ISO 8601 UTC timestamp ending in Z. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A server-assigned id: evt_ then a nanoid (21 URL-safe characters). */
export const SERVER_ID = /^evt_[A-Za-z0-9_-]{21}$/;
