import type { StoredEvent } from '../protocol/eventRecord.js';
import type { BufferBound } from './bufferShare.js';
import type { RouteOptions } from './commitRouter.js';
import { MAX_BATCH_MESSAGE_BYTES } from './subscriber.js';
import { batchFrames, type Route, type TopicGroup } from './topicGroup.js';

/**
 * Topic membership and publishing. uWS is configured never to drop a message for backpressure (it closes the socket
 * past a hard limit far above the bound instead), so the bound is held here: before a topic has carried half a bound
 * of bytes since its last check, each member's buffer is read, and a member over its bound (BufferShare) leaves the
 * topic before the next publish and catches up from the log. A member's buffer so stays below about twice the bound.
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

  /** Publish one commit's matches to a group's topic: one message per record, or byte-bounded frames (batch:true). */
  publish(group: TopicGroup, matched: readonly StoredEvent[], from: number, options: RouteOptions): void {
    const texts = new Array<string>(matched.length);
    let bytes = 0;
    for (let i = 0; i < matched.length; i++) {
      texts[i] = options.json(matched[i]!);
      bytes += texts[i]!.length;
    }
    const checkBytes = Math.max(1, Math.floor(this.bound.bytes / 2));
    if ((group.bytesSinceCheck ?? 0) + bytes > checkBytes) {
      this.holdBound(group, from, options);
      group.bytesSinceCheck = 0;
    }
    const publisher = group.publisher;
    if (group.joined.size === 0 || publisher === undefined) return;
    group.bytesSinceCheck = (group.bytesSinceCheck ?? 0) + bytes;
    group.lastPublished = options.now;
    const frames = group.batch ? batchFrames(texts, Math.min(MAX_BATCH_MESSAGE_BYTES, checkBytes)) : texts;
    for (const frame of frames) publisher.publish(group.topic, frame);
    this.delivered += matched.length * group.joined.size;
  }

  /** Records × members published since the last call. */
  takeDelivered(): number {
    const n = this.delivered;
    this.delivered = 0;
    return n;
  }

  /** Members over the bound leave before the next publish; `from` is the first offset they have not been sent. */
  private holdBound(group: TopicGroup, from: number, options: RouteOptions): void {
    for (const route of [...group.joined]) {
      if ((route.socket?.bufferedAmount() ?? 0) <= this.bound.bytes) continue;
      options.lagged(route.id, from);
      // Hint: its actor leaves the topic itself; should it not have, it must not get records it will never see.
      this.unsubscribe(route);
    }
  }
}
