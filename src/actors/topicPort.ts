/**
 * Native fan-out as the actors see it. src/http implements it with uWS topics: one `publish` reaches every socket
 * subscribed to the topic in C++, with no JavaScript per subscriber.
 */
export interface TopicPublisher {
  /** Send `text` to every socket on `topic`, in publish order (also relative to each socket's own sends). */
  publish(topic: string, text: string): void;
}

/** One socket's topic membership, and the publisher of the server it belongs to. */
export interface TopicSocket {
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Send what the topics hold back for this socket now, so its buffered amount counts it (a no-op when none). */
  flush(): void;
  readonly publisher: TopicPublisher;
}

/** What a subscriber actor asks of the router about its topic; the actor decides when, the router keeps the books. */
export interface TopicMembership {
  /**
   * Hand this subscriber's live delivery to its topic from offset `from` on (it already has everything below). The
   * router subscribes it once every offset below `from` has been routed; until then commits reach it directly.
   * False when its socket has no topics (a server without native fan-out): it stays on the per-subscriber path.
   */
  join(id: string, from: number): boolean;
  /** Leave the topic (or a pending join); from now on commits reach it directly, or not at all while it lags. */
  leave(id: string): void;
}
