import type { StoredEvent } from '../protocol/eventRecord.js';
import type { BufferBound } from './bufferShare.js';
import type { RouteOptions } from './commitRouter.js';
import { MAX_BATCH_MESSAGE_BYTES } from './subscriber.js';
import type { Route, TopicGroup } from './topicGroup.js';

/**
 * Topic membership and publishing. uWS is configured never to drop a message for backpressure (it closes the socket
 * past a hard limit far above the bound instead), so the bound is held here: a commit is published in pieces of at
 * most half the bound (BufferShare), and a member gets a piece only if it fits under its bound with what its socket
 * holds (or the socket holds nothing: a record larger than the bound still gets through). So no member holds more
 * than its bound, or one record larger than it. Members it would not fit leave the topic before that piece and catch
 * up from the log. Hint: buffers are read only when the fullest at the last check, plus what was published since and
 * the next piece, could pass the bound: members that keep up are read at most once per half bound of traffic, and
 * about once per bound when commits are small.
 */
export class TopicPublishing {
  private delivered = 0;

  /** `bound`: read at each publish, as its share moves with the number of subscribers. */
  constructor(private readonly bound: BufferBound) {}

  /** Subscribe a route's socket to its group's topic. */
  subscribe(route: Route): void {
    const group = route.group;
    const topics = route.socket?.topics;
    route.joinAt = null;
    if (topics === undefined || route.joined === group) return;
    this.unsubscribe(route);
    topics.subscribe(group.topic);
    // Hint: it may join with bytes still queued from catching up; counted as if it had held them at the last check.
    const queued = route.socket!.bufferedAmount() - (group.bytesSinceCheck ?? 0);
    group.fullestAtCheck = Math.max(group.fullestAtCheck ?? 0, queued);
    group.publisher ??= topics.publisher;
    group.joined.add(route);
    route.joined = group;
  }

  /** Unsubscribe a route's socket from the topic it is on, if any. */
  unsubscribe(route: Route): void {
    const group = route.joined;
    if (group === null) return;
    group.joined.delete(route);
    route.joined = null;
    route.socket?.topics?.unsubscribe(group.topic);
  }

  /**
   * Publish one commit's matches to a group's topic: one message per record, or one frame per piece (batch:true,
   * `[r1,r2,…]`, cut where batchFrames would cut it).
   */
  publish(group: TopicGroup, matched: readonly StoredEvent[], options: RouteOptions): void {
    // Hint: a record costs its UTF-8 bytes, and in a frame one more for its `[` or `,` (the frame one more for `]`).
    const framing = group.batch ? 1 : 0;
    const texts = new Array<string>(matched.length);
    const costs = new Array<number>(matched.length);
    for (let i = 0; i < matched.length; i++) {
      texts[i] = options.json(matched[i]!);
      costs[i] = Buffer.byteLength(texts[i]!, 'utf8') + framing;
    }
    const bound = this.bound.bytes;
    const pieceBytes = Math.min(MAX_BATCH_MESSAGE_BYTES, Math.max(1, Math.floor(bound / 2)));
    for (let start = 0, end = 0; start < matched.length; start = end) {
      let bytes = costs[start]! + framing;
      for (end = start + 1; end < matched.length && bytes + costs[end]! <= pieceBytes; end++) bytes += costs[end]!;
      if ((group.fullestAtCheck ?? 0) + (group.bytesSinceCheck ?? 0) + bytes > bound) {
        group.fullestAtCheck = this.holdBound(group, matched[start]!.offset, bytes, options);
        group.bytesSinceCheck = 0;
      }
      const publisher = group.publisher;
      if (group.joined.size === 0 || publisher === undefined) return;
      group.bytesSinceCheck = (group.bytesSinceCheck ?? 0) + bytes;
      group.lastPublished = options.now;
      if (group.batch) publisher.publish(group.topic, `[${texts.slice(start, end).join(',')}]`);
      else for (let i = start; i < end; i++) publisher.publish(group.topic, texts[i]!);
      this.delivered += (end - start) * group.joined.size;
    }
  }

  /** Records × members published since the last call. */
  takeDelivered(): number {
    const n = this.delivered;
    this.delivered = 0;
    return n;
  }

  /**
   * Members that a piece of `bytes` would take over the bound leave before it; `from` is its first offset, the first
   * they have not been sent. Returns the fullest buffer among those that stay.
   */
  private holdBound(group: TopicGroup, from: number, bytes: number, options: RouteOptions): number {
    let fullest = 0;
    for (const route of [...group.joined]) {
      route.socket?.topics?.flush();
      const buffered = route.socket?.bufferedAmount() ?? 0;
      if (buffered === 0 || buffered + bytes <= this.bound.bytes) {
        fullest = Math.max(fullest, buffered);
        continue;
      }
      options.lagged(route.id, from);
      // Hint: its actor leaves the topic itself; should it not have, it must not get records it will never see.
      this.unsubscribe(route);
    }
    return fullest;
  }
}
