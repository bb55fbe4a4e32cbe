import { connect as tcpConnect } from 'node:net';

/** The part of a nats-server's /jsz answer that names the meta group's leader and, on the leader, its replicas. */
export interface JszReply {
  readonly meta_cluster?: {
    readonly leader?: string;
    readonly replicas?: readonly { readonly current: boolean; readonly offline?: boolean }[];
  };
  /** With ?streams=true: each stream as this server holds it. */
  readonly account_details?: readonly {
    readonly stream_detail?: readonly {
      readonly name: string;
      readonly state: { readonly messages: number; readonly first_seq: number; readonly last_seq: number };
      readonly cluster?: { readonly leader?: string };
    }[];
  }[];
}

/** Whether something accepts connections on `port` of loopback. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A server's /jsz with its streams, or null when it does not answer. */
export async function fetchJsz(port: number): Promise<JszReply | null> {
  const response = await fetch(`http://127.0.0.1:${port}/jsz?streams=true`, {
    signal: AbortSignal.timeout(2_000),
  }).catch(() => null);
  return response?.ok ? ((await response.json().catch(() => null)) as JszReply | null) : null;
}

/** `stream` as the server that gave `reply` holds it. */
export function streamDetail(reply: JszReply | null, stream: string) {
  return reply?.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === stream);
}
