import { UPGRADE_REFUSAL_HEADER } from '../protocol/upgradeRefusal.js';
import { detailOf, REFUSAL_BODY_BYTES, retryAfterOf, type UpgradeAnswer } from './upgradeAnswer.js';
import { endpointUrl, type SocketTarget, sentKey } from './webSocket.js';

/** How long askUpgrade waits for its answer. */
export const ASK_UPGRADE_MS = 5_000;

/** The parts of fetch's Response askUpgrade reads (browsers and Node ≥ 18 have fetch). */
interface Answer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: {
    getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
  } | null;
}
type Fetch = (url: string, init: Record<string, unknown>) => Promise<Answer>;

/**
 * Ask `path` with a plain GET what its upgrade was refused with: the server runs the upgrade's checks on such a GET and
 * answers their refusal (401, 403, 429 with Retry-After, …), else 426. Hint: a platform WebSocket (browsers; undici,
 * Node's) hides a refused upgrade's status, so a wrong key looked like a server that was down. The key goes as
 * X-API-Key, as the socket would have sent it. Null when nothing was learned: no fetch, a network or CORS failure, no
 * answer within `timeoutMs`, a status that refuses nothing (426: the upgrade would be taken), or an answer this
 * server did not mark as its verdict.
 */
export async function askUpgrade(
  target: SocketTarget,
  path: string,
  timeoutMs = ASK_UPGRADE_MS,
): Promise<UpgradeAnswer | null> {
  const fetcher: unknown = Reflect.get(globalThis, 'fetch');
  if (typeof fetcher !== 'function') return null;
  const url = new URL(endpointUrl(target.url, path, undefined));
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  const key = sentKey(target.apiKey);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  // Hint: in Node, a probe still under way when the client is closed must not keep the process alive.
  (timer as { unref?: () => void }).unref?.();
  try {
    const response = await (fetcher as Fetch)(url.toString(), {
      headers: key === '' ? {} : { 'X-API-Key': key },
      // Hint: a redirect is not followed (the key would go along); it answers nothing about the upgrade.
      redirect: 'manual',
      credentials: 'omit',
      cache: 'no-store',
      signal: controller.signal,
    });
    const text = await bodyText(response);
    // Hint: only this server's verdict counts (it marks it): a proxy that answers plain requests on /ws/ with its own
    // 403 or 404 must not end a subscription for good when the upgrade behind it failed for a moment.
    if (response.status < 400 || response.headers.get(UPGRADE_REFUSAL_HEADER) === null) return null;
    return {
      status: response.status,
      detail: detailOf(text),
      retryAfterMs: retryAfterOf(response.headers.get('retry-after')),
    };
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** The first REFUSAL_BODY_BYTES of a body as text; the rest is not read. */
async function bodyText(response: Answer): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done || value === undefined) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
    bytes += value.byteLength;
    if (bytes >= REFUSAL_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      return text;
    }
  }
}
