import type { EventRecord } from './types.js';

/** The `{"status":"subscribed",…}` ack. */
export interface SubscribedAck {
  readonly status: 'subscribed';
  readonly subscriber_id: string;
  readonly head_offset: number;
  readonly epoch: string;
  readonly from_offset?: number;
  readonly retention?: {
    readonly truncated: boolean;
    readonly first_available_offset: number;
    readonly message?: string;
  };
  readonly beyond_head?: { readonly requested_from_offset: number; readonly message?: string };
}

/** What a `/ws/subscribe` frame holds, classified. */
export type SubscribeFrame =
  | { readonly kind: 'ack'; readonly ack: SubscribedAck }
  | { readonly kind: 'records'; readonly records: readonly EventRecord[] }
  | { readonly kind: 'checkpoint'; readonly offset: number }
  | { readonly kind: 'retention'; readonly message: string }
  /** `retryable`: the server marked the refusal worth retrying (it closes with 1013 next). */
  | { readonly kind: 'error'; readonly message: string; readonly retryable: boolean }
  | { readonly kind: 'other' };

/**
 * Something the subscriber wants its user to know that is not an error: a retention gap, a start past the head, a
 * lost connection (`reconnecting`, once per attempt), and the server's ack after it (`resumed`, once: following again).
 */
export interface SubscriptionNotice {
  readonly kind: 'retention' | 'beyond_head' | 'reconnecting' | 'resumed';
  readonly message: string;
}

function isRecord(value: unknown): value is EventRecord {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'offset') === 'number' &&
    typeof Reflect.get(value, 'event_type') === 'string'
  );
}

/** Classify one frame of `/ws/subscribe` (records one by one or in `batch` arrays). */
export function classifyFrame(text: string): SubscribeFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'other' };
  }
  if (Array.isArray(value)) return { kind: 'records', records: value.filter(isRecord) };
  if (typeof value !== 'object' || value === null) return { kind: 'other' };
  if (isRecord(value)) return { kind: 'records', records: [value] };
  const status: unknown = Reflect.get(value, 'status');
  const type: unknown = Reflect.get(value, 'type');
  if (status === 'subscribed') return { kind: 'ack', ack: value as SubscribedAck };
  if (type === 'checkpoint') {
    const offset: unknown = Reflect.get(value, 'offset');
    return typeof offset === 'number' ? { kind: 'checkpoint', offset } : { kind: 'other' };
  }
  if (type === 'retention') return { kind: 'retention', message: String(Reflect.get(value, 'message') ?? 'retention') };
  if (status === 'error')
    return {
      kind: 'error',
      message: String(Reflect.get(value, 'message') ?? 'error'),
      retryable: Reflect.get(value, 'retryable') === true,
    };
  return { kind: 'other' };
}
