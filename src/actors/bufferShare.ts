import type { PipelineOptions } from './pipelineOptions.js';
import type { SubscriberLimits } from './subscriber.js';

/** The smallest share a subscriber is held to, however many there are (a share under one record would only churn). */
export const MIN_SHARE_BYTES = 16 * 1024;

/** What the router and topics read a subscriber's socket bound from. */
export interface BufferBound {
  readonly bytes: number;
}

/**
 * Each subscriber's socket buffer bound: SUBSCRIBER_BUFFER_BYTES, or an equal share of
 * MAX_SUBSCRIBER_BUFFER_TOTAL_BYTES among the subscribers open now when that is smaller (never under MIN_SHARE_BYTES).
 * Why: each socket alone was held to its bound, but 1,000 firehose subscribers that
 * stopped reading held 1.9 GB of the server's memory until the slow-consumer timeout, and MAX_SUBSCRIBERS allows five
 * times as many. A subscriber over its share catches up from the log, as over SUBSCRIBER_BUFFER_BYTES before.
 */
export class BufferShare implements BufferBound {
  private share: number;

  constructor(
    readonly perSubscriber: number,
    readonly total: number,
  ) {
    this.share = perSubscriber;
  }

  get bytes(): number {
    return this.share;
  }

  /** The number of subscribers open changed to `subscribers`. */
  resize(subscribers: number): void {
    const equal = Math.floor(this.total / Math.max(1, subscribers));
    this.share = Math.max(Math.min(MIN_SHARE_BYTES, this.perSubscriber), Math.min(this.perSubscriber, equal));
  }
}

/** The subscribers' shared limits, their buffer bound read from `share` as it moves. */
export function subscriberLimits(options: PipelineOptions, share: BufferBound): SubscriberLimits {
  return {
    get bufferBytes() {
      return share.bytes;
    },
    replayPage: 1000,
    replaySliceMs: 20,
    keepaliveMs: options.keepaliveMs,
    slowConsumerTimeoutMs: options.slowConsumerTimeoutMs,
    subscribeTimeoutMs: options.subscribeTimeoutMs,
  };
}
