import { AckQueue } from './ackQueue.js';
import type { PublishErrorReason, ServerMetrics } from './metrics.js';
import { wsRefusalReason } from './requestLog.js';

/**
 * A /ws/publish ack queue that counts what it is given for /metrics: every reply of the connection passes through
 * `fill` exactly once, so acks and refusals are counted at one place without touching the publish handler.
 */
export class CountingAckQueue extends AckQueue {
  constructor(private readonly metrics: ServerMetrics) {
    super();
  }

  override fill(seq: number, text: string, offset: number): void {
    // Hint: ok acks acknowledge an offset ≥ 1; only errors carry 0, and only those are parsed again (they are rare).
    if (offset > 0) this.metrics.publishAcked('ws');
    else this.refused(wsRefusalReason(JSON.parse(text)));
    super.fill(seq, text, offset);
  }

  private refused(reason: PublishErrorReason): void {
    this.metrics.publishRefused('ws', reason);
    // Hint: RATE_LIMIT_PUBLISH is one budget for POST /events and /ws/publish; its 429s count alike.
    if (reason === 'rate_limited') this.metrics.refusedByRateLimit('publish');
  }
}
