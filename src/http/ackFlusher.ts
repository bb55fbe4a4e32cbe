import type { WebSocket } from 'uWebSockets.js';
import { AckBacklogTotal } from './ackBacklogTotal.js';
import type { AckQueue, AckSink } from './ackQueue.js';
import { guarded } from './wsBoundary.js';
import type { PublishDeps } from './wsPublish.js';
import type { Connection } from './wsUpgrade.js';

/** Socket buffer above which acks wait in the connection's AckQueue instead of going to uWS. */
export const ACK_HIGH_WATER_BYTES = 1024 * 1024;
/** Close code for a producer whose unread acks passed the backlog bound. */
export const CLOSE_ACK_BACKLOG = 4009;

/**
 * Writes connections' ready acks, each connection once per microtask (a group commit acks many messages per
 * connection), and closes a producer whose acks uWS dropped or whose unread acks passed a bound: its own
 * (MAX_ACK_BACKLOG_BYTES), or all producers' together (MAX_ACK_BACKLOG_TOTAL_BYTES), which closes the one holding most.
 */
export class AckFlusher {
  private readonly pending = new Map<WebSocket<Connection>, Connection>();
  private readonly total: AckBacklogTotal<AckQueue>;
  private readonly sockets = new Map<AckQueue, WebSocket<Connection>>();
  /** Producers past their invalid-message budget: told and closed once every message read before it is answered. */
  private readonly ending = new Map<WebSocket<Connection>, { text: string; code: number; reason: string }>();
  private readonly flushPending = () => {
    for (const [ws, data] of this.pending) guarded(this.deps.logger, 'ws publish flush', () => this.flush(ws, data));
    this.pending.clear();
  };

  constructor(readonly deps: PublishDeps) {
    this.total = new AckBacklogTotal(deps.ackBacklogTotalBytes);
    deps.metrics?.holding('acks', () => this.total.bytes);
  }

  opened(ws: WebSocket<Connection>, data: Connection): void {
    this.total.opened(data.acks, data.ip);
    this.sockets.set(data.acks, ws);
  }

  /** Set the reply of message `seq`, counted in the total, and flush it with the others of this turn. */
  fill(ws: WebSocket<Connection>, data: Connection, seq: number, text: string, offset: number): void {
    const before = data.acks.backlogBytes;
    data.acks.fill(seq, text, offset);
    this.total.changed(data.acks, before);
    if (this.pending.size === 0) queueMicrotask(this.flushPending);
    this.pending.set(ws, data);
  }

  /**
   * Send `text`, then close (the reason saying what was acked), once all read before is answered. Hint: closing at
   * once dropped the acks of messages still in the group commit (a probe's: 900 events stored, none acked).
   */
  endWhenAnswered(ws: WebSocket<Connection>, data: Connection, text: string, code: number, reason: string): void {
    this.ending.set(ws, { text, code, reason });
    this.flush(ws, data);
  }

  /** Write the connection's ready acks as far as its socket takes them; close it past a bound. */
  flush(ws: WebSocket<Connection>, data: Connection): void {
    const { logger } = this.deps;
    if (data.closed && !this.ending.has(ws)) return;
    const sink: AckSink = {
      buffered: () => ws.getBufferedAmount(),
      cork: (fn) => ws.cork(fn),
      send: (text) => ws.send(text, false, false),
    };
    const before = data.acks.backlogBytes;
    const result = data.acks.flush(sink, ACK_HIGH_WATER_BYTES);
    this.total.changed(data.acks, before);
    if (result === 'dropped') {
      // Hint: the flush never sends past ACK_HIGH_WATER_BYTES, far below maxBackpressure; a drop is a bug. Tell the producer.
      logger.error({ ip: data.ip, buffered: ws.getBufferedAmount() }, 'uWS dropped an ack; closing the producer');
      ws.end(1011, `ack dropped; acked through offset ${data.acks.ackedOffset}`);
    } else if (result === 'blocked' && data.acks.backlogBytes > this.deps.ackBacklogBytes) {
      logger.warn({ ip: data.ip, backlog: data.acks.backlogBytes }, 'producer not reading its acks; closing');
      this.deps.metrics?.refusedAtBound('MAX_ACK_BACKLOG_BYTES');
      ws.end(CLOSE_ACK_BACKLOG, `ack backlog full${ackedThrough(data)}`);
    } else if (result === 'blocked') this.closeLargest();
    else if (result === 'done') this.endIfAnswered(ws, data);
  }

  private endIfAnswered(ws: WebSocket<Connection>, data: Connection): void {
    const end = this.ending.get(ws);
    if (end === undefined || data.acks.size > 0) return;
    this.ending.delete(ws);
    ws.send(end.text, false, false);
    ws.end(end.code, `${end.reason}${ackedThrough(data)}`);
  }

  /** Past the total bound, close the largest producer of the address holding the most (each holder is blocked). */
  private closeLargest(): void {
    const largest = this.total.overBound();
    const ws = largest === null ? undefined : this.sockets.get(largest);
    if (ws === undefined) return;
    const data = ws.getUserData();
    const fields = { ip: data.ip, backlog: data.acks.backlogBytes, total: this.total.bytes };
    this.deps.logger.warn(fields, "producers' unread acks passed MAX_ACK_BACKLOG_TOTAL_BYTES; closing the largest");
    this.deps.metrics?.refusedAtBound('MAX_ACK_BACKLOG_TOTAL_BYTES');
    ws.end(CLOSE_ACK_BACKLOG, `ack backlog full (server total)${ackedThrough(data)}`);
  }

  closed(ws: WebSocket<Connection>, data: Connection): void {
    this.pending.delete(ws);
    this.ending.delete(ws);
    this.total.closed(data.acks);
    this.sockets.delete(data.acks);
  }
}

/** The reason's tail for a producer closed with messages unanswered: what it can trust was stored. */
export function ackedThrough(data: Connection): string {
  return `; acked through offset ${data.acks.ackedOffset}; committed through ${data.acks.committedOffset}`;
}
