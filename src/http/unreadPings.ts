import type { WebSocket } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { Config } from '../config.js';
import { guarded } from './wsBoundary.js';
import type { Connection } from './wsUpgrade.js';

/** Bytes of pongs a peer may leave unread beyond what its endpoint queues for it on its own (about 2,000 pongs). */
export const UNREAD_PONG_SLACK_BYTES = 256 * 1024;
/** Close code for a peer that pings but does not read (RFC 6455 policy violation). */
export const CLOSE_UNREAD_PINGS = 1008;

/**
 * The most /ws/subscribe queues for a reader on its own: its buffer bound and one record more (records carry a
 * payload of at most MAX_PAYLOAD_BYTES and a few short fields; 64 KiB covers those and control replies).
 */
export function subscriberHolds(config: Config): number {
  return config.subscriberBufferBytes + config.maxPayloadBytes + 64 * 1024;
}

/**
 * A ping handler that closes a peer who pings but does not read. Why: uWS answers every ping with a pong, queued for
 * the peer however much it has left unread and counted in no bound of ours: a client that sent pings and never read
 * held 64 MiB of the server's memory per connection (uWS's own limit), 20 connections per address. `holds`: the most
 * the endpoint queues for a reader on its own (acks up to their high water, or records up to the subscriber bound).
 */
export function unreadPingGuard(holds: number, logger: Logger): (ws: WebSocket<Connection>) => void {
  const limit = holds + UNREAD_PONG_SLACK_BYTES;
  return (ws) =>
    guarded(logger, 'ws ping', () => {
      const data = ws.getUserData();
      if (data.closed) return;
      // Hint: uWS queues the pong before it calls this, so the buffered amount counts it.
      const buffered = ws.getBufferedAmount();
      if (buffered <= limit) return;
      logger.warn({ ip: data.ip, buffered }, 'peer pings but does not read; closing');
      ws.end(CLOSE_UNREAD_PINGS, `pings but does not read: ${buffered} bytes unread`);
    });
}
