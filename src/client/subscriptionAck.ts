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

/**
 * Something the subscriber wants its user to know that is not an error: a retention gap, a start past the head, a
 * lost connection (`reconnecting`, once per attempt), and the server's ack after it (`resumed`, once: following again);
 * `protocol`: the server sent records this subscription does not hand out (not matching its filters, or out of offset
 * order, which also makes it reconnect): a server bug, told where it happened in the stream.
 */
export interface SubscriptionNotice {
  readonly kind: 'retention' | 'beyond_head' | 'reconnecting' | 'resumed' | 'protocol';
  readonly message: string;
}
