import type { EventFilter } from '../protocol/eventFilter.js';
import { recordJson, type StoredEvent } from '../protocol/eventRecord.js';
import { SubscriberIndex } from './subscriberIndex.js';

/** One subscriber as the router knows it: its id and the filter it is filed under. */
interface Route {
  readonly id: string;
  filter: EventFilter;
  /** Records of the commit being routed; reset per commit. */
  matched: StoredEvent[];
}

/** One message's worth of a commit for one subscriber: its matching records, in offset order. */
export interface Delivery {
  readonly id: string;
  readonly records: readonly StoredEvent[];
}

/**
 * Decides who a group commit touches: the inverted index finds each record's subscribers, and the commit becomes
 * one delivery per touched subscriber (never one per event per subscriber).
 */
export class CommitRouter {
  private readonly index = new SubscriberIndex<Route>();
  private readonly routes = new Map<string, Route>();

  /** Subscribers filed for routing. */
  get size(): number {
    return this.routes.size;
  }

  /** File (or refile) a subscriber under its current filter. */
  file(id: string, filter: EventFilter): void {
    let route = this.routes.get(id);
    if (route === undefined) {
      route = { id, filter, matched: [] };
      this.routes.set(id, route);
    }
    route.filter = filter;
    this.index.add(route);
  }

  /** Stop routing to a subscriber. */
  forget(id: string): void {
    const route = this.routes.get(id);
    if (route === undefined) return;
    this.routes.delete(id);
    this.index.remove(route);
  }

  /** One delivery per subscriber touched by `records` (which are in offset order). */
  route(records: readonly StoredEvent[]): Delivery[] {
    const touched: Route[] = [];
    for (const record of records) {
      this.index.forEachMatch(record, (route) => {
        if (route.matched.length === 0) touched.push(route);
        route.matched.push(record);
      });
    }
    const deliveries: Delivery[] = new Array<Delivery>(touched.length);
    for (let i = 0; i < touched.length; i++) {
      const route = touched[i]!;
      deliveries[i] = { id: route.id, records: route.matched };
      route.matched = [];
    }
    return deliveries;
  }
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
