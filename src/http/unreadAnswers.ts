import type { WebSocket } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { Config } from '../config.js';
import { guarded } from './wsBoundary.js';
import type { Connection } from './wsUpgrade.js';

/** Bytes of answers a peer may leave unread beyond what its endpoint queues for it on its own (about 2,000 pongs). */
export const UNREAD_SLACK_BYTES = 256 * 1024;
/** Close code for a peer that pings or sends but does not read (RFC 6455 policy violation). */
export const CLOSE_NOT_READING = 1008;

/**
 * The most /ws/subscribe queues for a reader on its own: its buffer bound and one record more (records carry a
 * payload of at most MAX_PAYLOAD_BYTES and a few short fields; 64 KiB covers those and control replies).
 */
export function subscriberHolds(config: Config): number {
  return config.subscriberBufferBytes + config.maxPayloadBytes + 64 * 1024;
}

/**
 * Close a peer whose socket holds more than `limit` bytes it has not read, as it asks for more (`doing`: what it
 * does), and say so; true when it was closed. Why: every ping (uWS answers each with a pong) and every subscriber
 * message (each gets a reply: a pong, an error, `filters_updated` listing the keys it ignored) is answered however
 * much the peer has left unread, and no bound of ours counted those answers: a client that pinged and never read
 * held 64 MiB of the server's memory per connection (uWS's own limit), 20 connections per address.
 */
export function closeIfNotReading(ws: WebSocket<Connection>, limit: number, logger: Logger, doing: string): boolean {
  const data = ws.getUserData();
  if (data.closed) return false;
  const buffered = ws.getBufferedAmount();
  if (buffered <= limit) return false;
  logger.warn({ ip: data.ip, buffered }, `peer ${doing} but does not read; closing`);
  ws.end(CLOSE_NOT_READING, `${doing} but does not read: ${buffered} bytes unread`);
  return true;
}

/**
 * The limit for a peer of an endpoint that queues at most `holds` bytes for a reader on its own (acks up to their
 * high water, or records up to the subscriber bound): that and UNREAD_SLACK_BYTES.
 */
export function unreadLimit(holds: number): number {
  return holds + UNREAD_SLACK_BYTES;
}

/** A ping handler that closes a peer who pings but does not read (see closeIfNotReading). */
export function unreadPingGuard(holds: number, logger: Logger): (ws: WebSocket<Connection>) => void {
  const limit = unreadLimit(holds);
  // Hint: uWS queues the pong before it calls this, so the buffered amount counts it.
  return (ws) => guarded(logger, 'ws ping', () => void closeIfNotReading(ws, limit, logger, 'pings'));
}
