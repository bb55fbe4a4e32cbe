import { Socket } from 'node:net';
import WebSocket from 'ws';
import type { EventRecord as WireRecord } from '../../src/protocol/eventRecord.js';

/** A message as the server sends it: an object (ack, control, record) or, in batch mode, an array of records. */
export type Message = Record<string, unknown>;

/** An event record as it goes over the wire. */
export type { WireRecord };

/** How a socket closed. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** Thrown by `WsClient.open` when the server refuses the upgrade with an HTTP status. */
export class UpgradeRefusedError extends Error {
  override readonly name = 'UpgradeRefusedError';
  constructor(readonly status: number) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

const DEFAULT_WAIT_MS = 10_000;

/**
 * A `ws` client that queues every parsed message so tests await messages instead of sleeping.
 * Listeners are attached before the socket opens, so nothing the server sends early is missed.
 */
export class WsClient {
  private readonly inbox: unknown[] = [];
  private wake: (() => void) | null = null;
  private closeInfo: CloseInfo | null = null;
  /** Resolves when the socket has closed, with the close code and reason. */
  readonly closed: Promise<CloseInfo>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const parsed: unknown = JSON.parse(data.toString('utf8'));
      this.inbox.push(parsed);
      this.notify();
    });
    ws.on('error', () => {
      // Errors end in 'close' (or reject `open`); nothing else to do here.
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        resolve(this.closeInfo);
        this.notify();
      });
    });
  }

  /** Connect; rejects with UpgradeRefusedError when the server answers the upgrade with an HTTP error. */
  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
      const client = new WsClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', (error: Error) => {
        const status = /Unexpected server response: (\d+)/.exec(error.message);
        reject(status ? new UpgradeRefusedError(Number(status[1])) : error);
      });
    });
  }

  /** Hand every further message to `handler` as raw text instead of queueing it (a million acks would not fit). */
  stream(handler: (text: string) => void): void {
    this.ws.removeAllListeners('message');
    this.ws.on('message', (data: Buffer) => handler(data.toString('utf8')));
  }

  get isClosed(): boolean {
    return this.closeInfo !== null;
  }

  /** Messages received but not yet taken. */
  get pending(): number {
    return this.inbox.length;
  }

  /** Stop reading from the TCP socket (a consumer that never reads); the kernel buffers fill, then the server's. */
  pause(): void {
    this.tcp().pause();
  }

  resume(): void {
    this.tcp().resume();
  }

  /** Send text as it is, a Buffer as a binary frame, anything else as JSON. */
  send(message: unknown): void {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** The next message; rejects if the socket closes first or nothing arrives within `waitMs`. */
  async next<T = Message>(waitMs = DEFAULT_WAIT_MS): Promise<T> {
    const deadline = Date.now() + waitMs;
    while (this.inbox.length === 0) {
      if (this.closeInfo !== null)
        throw new Error(`socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) while awaiting a message`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${waitMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    return this.inbox.shift() as T;
  }

  /** The next `count` messages. */
  async take<T = Message>(count: number, waitMs = DEFAULT_WAIT_MS): Promise<T[]> {
    const out: T[] = [];
    while (out.length < count) out.push(await this.next<T>(waitMs));
    return out;
  }

  /** Messages up to and including the first that satisfies `done`. */
  async until<T = Message>(done: (message: T) => boolean, waitMs = DEFAULT_WAIT_MS): Promise<T[]> {
    const out: T[] = [];
    for (;;) {
      const message = await this.next<T>(waitMs);
      out.push(message);
      if (done(message)) return out;
    }
  }

  /** Close (if still open) and wait for the close to complete. */
  async close(): Promise<CloseInfo> {
    if (this.closeInfo === null) {
      // A paused socket could never read the server's close frame.
      if (this.ws.readyState === WebSocket.OPEN && !this.tcp().isPaused()) this.ws.close();
      else this.ws.terminate();
    }
    return this.closed;
  }

  private tcp(): Socket {
    // Hint: ws keeps its net.Socket private; pausing it is the only way to be a consumer that stops reading.
    const socket: unknown = Reflect.get(this.ws, '_socket');
    if (!(socket instanceof Socket)) throw new Error('ws no longer keeps its net.Socket in _socket');
    return socket;
  }

  private notify(): void {
    this.wake?.();
  }
}

/** Open /ws/subscribe, send `request`, and return the client with its `subscribed` ack. */
export async function subscribe(
  wsBase: string,
  request: object,
  path = '/ws/subscribe',
): Promise<{ client: WsClient; ack: Message }> {
  const client = await WsClient.open(wsBase + path);
  client.send(request);
  const ack = await client.next();
  if (ack.status !== 'subscribed') {
    await client.close();
    throw new Error(`subscribe failed: ${JSON.stringify(ack)}`);
  }
  return { client, ack };
}

/** True when a message is a record (not an ack or a control message). */
export function isRecord(message: unknown): message is WireRecord {
  return (
    typeof message === 'object' &&
    message !== null &&
    !Array.isArray(message) &&
    typeof (message as { offset?: unknown }).offset === 'number' &&
    typeof (message as { event_type?: unknown }).event_type === 'string'
  );
}

/** Close every client, ignoring ones already closed. */
export async function closeAll(clients: Iterable<WsClient>): Promise<void> {
  await Promise.all([...clients].map((c) => c.close()));
}

/** The HTTP status the server answers an upgrade with (101 when it accepts; the socket is then closed). */
export async function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    const client = await WsClient.open(url, { headers });
    await client.close();
    return 101;
  } catch (error) {
    if (error instanceof UpgradeRefusedError) return error.status;
    throw error;
  }
}

/** An upgrade offering `protocols`: the status, and the protocol a 101 answered with ('' for none). */
export function protocolUpgrade(url: string, protocols: string[]): Promise<{ status: number; protocol: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    ws.once('open', () => {
      resolve({ status: 101, protocol: ws.protocol });
      ws.close();
    });
    ws.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, protocol: '' });
      response.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}
