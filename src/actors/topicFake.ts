import { FakeSocket } from './fakeSocket.js';
import type { TopicPublisher, TopicSocket } from './topicPort.js';

/** uWS topics in memory, for tests: a publish is sent to every socket subscribed at that moment, in order. */
export class FakeTopics implements TopicPublisher {
  private readonly members = new Map<string, Set<FakeSocket>>();
  /** Every publish, in order. */
  readonly published: { topic: string; text: string }[] = [];

  publish(topic: string, text: string): void {
    this.published.push({ topic, text });
    for (const socket of this.members.get(topic) ?? []) socket.send(text);
  }

  /** A socket that can join this server's topics. */
  socket(): FakeSocket & { readonly topics: TopicSocket } {
    const socket = new FakeSocket();
    const topics: TopicSocket = {
      subscribe: (topic) => {
        const set = this.members.get(topic) ?? new Set();
        set.add(socket);
        this.members.set(topic, set);
      },
      unsubscribe: (topic) => void this.members.get(topic)?.delete(socket),
      // Hint: a publish here reaches each member at once; nothing is held back.
      flush: () => undefined,
      publisher: this,
    };
    return Object.assign(socket, { topics });
  }

  /** The topics a socket is on. */
  topicsOf(socket: FakeSocket): string[] {
    return [...this.members].filter(([, set]) => set.has(socket)).map(([topic]) => topic);
  }
}
