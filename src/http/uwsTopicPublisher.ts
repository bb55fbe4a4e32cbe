import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { TopicPublisher, TopicSocket } from '../actors/topicPort.js';
import type { Config } from '../config.js';
import type { Connection } from './wsUpgrade.js';

/** A topic publisher on a uWS app that counts its publishes (a socket leaving a topic reads the count). */
export interface UwsTopicPublisher extends TopicPublisher {
  readonly publishes: number;
}

/** The actors' topic publisher on a uWS app: one `app.publish` reaches every subscribed socket in C++. */
export function uwsTopicPublisher(app: TemplatedApp): UwsTopicPublisher {
  let publishes = 0;
  return {
    get publishes() {
      return publishes;
    },
    publish: (topic, text) => {
      publishes++;
      app.publish(topic, text, false, false);
    },
  };
}

/** One subscriber socket's topic membership; a closed socket has left every topic already. */
export function uwsTopicSocket(
  ws: WebSocket<Connection>,
  data: Pick<Connection, 'closed'>,
  publisher: UwsTopicPublisher,
): TopicSocket {
  /** The publisher's count at this socket's last ping: nothing published since can be held for it. */
  let pingedAt = -1;
  // Hint: uWS holds a socket's topic messages past the first 32 of a loop turn until the turn ends. It drops them if
  // the socket leaves the topic first (a subscriber lagging on a commit's second chunk, or moved by update_filters,
  // lost the rest of the first: found by a hostile probe), and its buffered amount does not count them (a member read
  // as empty took 77 KB past a 64 KiB bound at the turn's end). Any send to the socket delivers them first; a ping is
  // a send no client reads as a message. Only publishes since the last ping can be held: a ping per topic change
  // made the ws client, which ends a socket past 60 unanswered pings, drop a burst of update_filters (1006).
  const flush = () => {
    if (data.closed || publisher.publishes === pingedAt) return;
    pingedAt = publisher.publishes;
    ws.ping();
  };
  return {
    subscribe: (topic) => {
      if (!data.closed) ws.subscribe(topic);
    },
    unsubscribe: (topic) => {
      if (data.closed) return;
      flush();
      ws.unsubscribe(topic);
    },
    flush,
    publisher,
  };
}

/**
 * uWS's backpressure limit for /ws/subscribe. uWS silently skips a socket over it (on publish and send alike), so it
 * sits far above what the router lets a subscriber buffer (SUBSCRIBER_BUFFER_BYTES and one record at most, see
 * TopicPublishing and writeLive), and `closeOnBackpressureLimit` makes reaching it a close, never a silent gap.
 */
export function subscriberBackpressureLimit(config: Config): number {
  return Math.min(2 ** 31 - 1, Math.max(64 * 1024 * 1024, 8 * config.subscriberBufferBytes));
}
