import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { TopicPublisher, TopicSocket } from '../actors/topicPort.js';
import type { Config } from '../config.js';
import type { Connection } from './wsUpgrade.js';

/** The actors' topic publisher on a uWS app: one `app.publish` reaches every subscribed socket in C++. */
export function uwsTopicPublisher(app: TemplatedApp): TopicPublisher {
  return { publish: (topic, text) => void app.publish(topic, text, false, false) };
}

/** One subscriber socket's topic membership; a closed socket has left every topic already. */
export function uwsTopicSocket(
  ws: WebSocket<Connection>,
  data: Pick<Connection, 'closed'>,
  publisher: TopicPublisher,
): TopicSocket {
  return {
    subscribe: (topic) => {
      if (!data.closed) ws.subscribe(topic);
    },
    unsubscribe: (topic) => {
      if (data.closed) return;
      // Hint: uWS holds a socket's topic messages past the first 32 of a loop turn until the turn ends, and drops
      // them if the socket leaves the topic first (a subscriber lagging on a commit's second chunk, or moved by
      // update_filters, lost the rest of the first: found by a hostile probe). Any send to the socket delivers them
      // first; a ping is a send no client reads as a message.
      ws.ping();
      ws.unsubscribe(topic);
    },
    publisher,
  };
}

/**
 * uWS's backpressure limit for /ws/subscribe. uWS silently skips a socket over it (on publish and send alike), so it
 * sits far above what the router lets a subscriber buffer (about twice SUBSCRIBER_BUFFER_BYTES, see
 * TopicPublishing), and `closeOnBackpressureLimit` makes reaching it a close, never a silent gap.
 */
export function subscriberBackpressureLimit(config: Config): number {
  return Math.min(2 ** 31 - 1, Math.max(64 * 1024 * 1024, 8 * config.subscriberBufferBytes));
}
