import type { EventFilter } from '../protocol/eventFilter.js';
import { recordJson, type StoredEvent } from '../protocol/eventRecord.js';
import type { BufferBound } from './bufferShare.js';
import type { SubscriberSocket } from './subscriber.js';
import { SubscriberIndex } from './subscriberIndex.js';
import { groupKey, type Route, type TopicGroup } from './topicGroup.js';
import type { TopicMembership } from './topicPort.js';
import { TopicPublishing } from './topicPublishing.js';

/** One message's worth of a commit for one subscriber: its matching records, in offset order. */
export interface Delivery {
  readonly id: string;
  readonly records: readonly StoredEvent[];
}

/** What routing one commit needs besides its records. */
export interface RouteOptions {
  /** Each record's contract JSON, serialized once however many subscribers and topics it reaches. */
  readonly json: (record: StoredEvent) => string;
  /** The scheduler's monotonic reading: a topic's lastPublished, for its members' keepalive rule. */
  readonly now: number;
  /** A topic member over its buffer bound: tell its actor, which leaves the topic and catches up from `from`. */
  readonly lagged: (id: string, from: number) => void;
}

/**
 * Decides who a group commit touches: the inverted index finds each record's groups (subscribers with one filter),
 * each touched topic gets its publishes, and every other touched subscriber one delivery (never one per event).
 */
export class CommitRouter implements TopicMembership {
  private readonly index = new SubscriberIndex<TopicGroup>();
  private readonly groups = new Map<string, TopicGroup>();
  private readonly routes = new Map<string, Route>();
  private readonly pending = new Set<Route>();
  private readonly topics: TopicPublishing;
  private topicSeq = 0;
  /** The last offset routed: every subscriber on the live path has been given every match up to it. */
  private routedUpTo = 0;

  /** `bound`: the socket bound topic members are held to (SUBSCRIBER_BUFFER_BYTES, or its share; a fixed number in tests). */
  constructor(bound: BufferBound | number = 1 << 20) {
    this.topics = new TopicPublishing(typeof bound === 'number' ? { bytes: bound } : bound);
  }

  /** Subscribers filed for routing. */
  get size(): number {
    return this.routes.size;
  }

  /** File (or refile) a subscriber under its current filter and framing; a refiled one leaves its old topic. */
  file(id: string, filter: EventFilter, batch = false, socket: SubscriberSocket | null = null): void {
    const group = this.groupFor(filter, batch);
    const route = this.routes.get(id);
    if (route === undefined) {
      this.routes.set(id, { id, group, joined: null, joinAt: null, socket });
      group.routes.add(this.routes.get(id)!);
      return;
    }
    if (socket !== null) route.socket = socket;
    if (route.group === group) return;
    this.leave(id);
    this.detach(route);
    route.group = group;
    group.routes.add(route);
  }

  /** Stop routing to a subscriber. */
  forget(id: string): void {
    const route = this.routes.get(id);
    if (route === undefined) return;
    this.leave(id);
    this.detach(route);
    this.routes.delete(id);
  }

  join(id: string, from: number): boolean {
    const route = this.routes.get(id);
    if (route === undefined || route.socket?.topics === undefined) return false;
    this.leave(id);
    if (from <= this.routedUpTo + 1) this.topics.subscribe(route);
    else {
      route.joinAt = from;
      this.pending.add(route);
    }
    return true;
  }

  leave(id: string): void {
    const route = this.routes.get(id);
    if (route === undefined) return;
    this.pending.delete(route);
    route.joinAt = null;
    this.topics.unsubscribe(route);
  }

  /** When the subscriber's topic last carried records (0 when it is on none). */
  topicActivity(id: string): number {
    return this.routes.get(id)?.joined?.lastPublished ?? 0;
  }

  /** Records delivered through topics since the last call (records × members), for /stats. */
  takeTopicDeliveries(): number {
    return this.topics.takeDelivered();
  }

  /** Route one commit (records in offset order): publishes to touched topics, and one delivery per other subscriber. */
  route(records: readonly StoredEvent[], options: RouteOptions = defaultOptions()): Delivery[] {
    if (records.length === 0) return [];
    const first = records[0]!.offset;
    for (const route of this.pending) if (route.joinAt! <= first) this.topics.subscribe(route);
    const touched: TopicGroup[] = [];
    // Hint: with no subscriber filed, a commit costs nothing here. The visitor stays a closure per record: one visitor
    // per commit measured faster in process but not in fanout-10k (bench/HISTORY.md, "Less garbage per event").
    if (this.index.size > 0) {
      for (const record of records) {
        this.index.forEachMatch(record, (group) => {
          if (group.matched === null) {
            group.matched = [record];
            touched.push(group);
          } else group.matched.push(record);
        });
      }
    }
    const deliveries: Delivery[] = [];
    for (const group of touched) {
      const matched = group.matched!;
      group.matched = null;
      if (group.joined.size > 0) this.topics.publish(group, matched, options);
      for (const route of group.routes) if (route.joined === null) deliveries.push({ id: route.id, records: matched });
    }
    this.routedUpTo = records[records.length - 1]!.offset;
    return deliveries;
  }

  private groupFor(filter: EventFilter, batch: boolean): TopicGroup {
    const key = groupKey(filter, batch);
    let group = this.groups.get(key);
    if (group === undefined) {
      const topic = `t${++this.topicSeq}`;
      group = { key, filter, batch, topic, routes: new Set(), joined: new Set(), matched: null };
      this.groups.set(key, group);
      this.index.add(group);
    }
    return group;
  }

  /** Take a route out of its group; an empty group leaves the index. */
  private detach(route: Route): void {
    const group = route.group;
    group.routes.delete(route);
    if (group.routes.size > 0 || group.joined.size > 0) return;
    this.groups.delete(group.key);
    this.index.remove(group);
  }
}

/** Routing without a server around it (tests): serialize on demand, and a lagging member is simply dropped. */
function defaultOptions(): RouteOptions {
  return { json: recordJson, now: 0, lagged: () => undefined };
}

/** Each record's contract JSON for one commit, computed at most once (records are dense offsets from the first). */
export function commitJson(records: readonly StoredEvent[]): (record: StoredEvent) => string {
  const first = records[0]?.offset ?? 0;
  // Hint: made on the first call, so a commit that reaches no subscriber never needs one.
  let texts: (string | undefined)[] | null = null;
  return (record) => {
    const i = record.offset - first;
    texts ??= new Array<string | undefined>(records.length);
    let text = texts[i];
    if (text === undefined || records[i] !== record) {
      text = recordJson(record);
      if (records[i] === record) texts[i] = text;
    }
    return text;
  };
}

/** A serializer that turns each record into its contract JSON once, however many subscribers it goes to. */
export function cachedRecordJson(): (record: StoredEvent) => string {
  const cache = new Map<StoredEvent, string>();
  return (record) => {
    let text = cache.get(record);
    if (text === undefined) {
      text = recordJson(record);
      cache.set(record, text);
    }
    return text;
  };
}
