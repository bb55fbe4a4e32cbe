import type { WireRecord } from './wsClient.js';

/** An event as a producer sends it (extra keys such as `ref` are allowed). */
export interface EventBody {
  id?: string;
  event_type: string;
  source: string;
  session_id?: string | null;
  user_id?: string | null;
  payload?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** A minimal valid event, with overrides. */
export function eventBody(overrides: Partial<EventBody> = {}): EventBody {
  return {
    event_type: 'answer_submitted',
    source: 'quiz_engine',
    session_id: 's1',
    user_id: 'u1',
    payload: { n: 1 },
    ...overrides,
  };
}

/** POST /events; returns the status and parsed body. */
export async function postEvents(
  base: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** GET a JSON document; returns the status and parsed body. */
export async function getJson<T = Record<string, unknown>>(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as T };
}

/** Every retained record with offset > `after`, in offset order, paged through GET /events?order=asc; `query` adds filters. */
export async function allEvents(base: string, query = '', after = 0): Promise<WireRecord[]> {
  const out: WireRecord[] = [];
  let cursor = after;
  for (;;) {
    const { status, body } = await getJson<WireRecord[]>(
      `${base}/events?order=asc&limit=1000&after_offset=${cursor}${query}`,
    );
    if (status !== 200) throw new Error(`GET /events answered ${status}: ${JSON.stringify(body)}`);
    out.push(...body);
    if (body.length < 1000) return out;
    cursor = body[body.length - 1]!.offset;
  }
}

/** The GET /stats figures the WebSocket tests look at. */
export interface PipelineStats {
  readonly head_offset: number;
  readonly first_offset: number;
  readonly router: Readonly<Record<string, number>>;
  /** Cluster mode, while the stream lost offsets without a recorded purge. */
  readonly lost_without_purge?: { readonly from: number; readonly to: number; readonly kept: number };
}

/** GET /stats. */
export async function stats(base: string): Promise<PipelineStats> {
  return (await getJson<PipelineStats>(`${base}/stats`)).body;
}

/** Poll `probe` until it returns a truthy value; throws after `waitMs`. Only for conditions no message announces. */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  what: string,
  waitMs = 10_000,
  everyMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
