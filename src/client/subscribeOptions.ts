import { FILTER_KEYS } from '../protocol/eventFilter.js';
import { type BackoffOptions, checkBackoffOptions } from './backoff.js';
import { checkKinds, checkNumbers, type KindRule, SCHEDULER_METHODS, shown } from './optionChecks.js';
import type { PositionStore } from './positionStore.js';
import { PositionTracker } from './positionTracker.js';
import type { Scheduler } from './scheduler.js';
import type { SubscriptionNotice } from './subscriptionAck.js';
import type { EventFilter, EventRecord, Position } from './types.js';
import { type ApiKeyIn, checkSocketTarget, type WebSocketConstructor } from './webSocket.js';

/** What to do when the log's epoch is not the saved one. */
export type LogReplacedChoice = 'error' | 'from-start' | 'from-head';

/** How a Subscription starts, resumes and is consumed. */
export interface SubscribeOptions {
  /** Server base URL, e.g. `http://localhost:8001`. */
  readonly url: string;
  /** Undefined means none (so `apiKey: process.env.API_KEY` type-checks with exactOptionalPropertyTypes). */
  readonly apiKey?: string | undefined;
  /** How the key travels on the WebSocket (default `'protocol'`; `'query'` for a server older than that). */
  readonly apiKeyIn?: ApiKeyIn;
  readonly WebSocket?: WebSocketConstructor;
  readonly filters?: EventFilter;
  /** First offset to deliver, `'head'` (only what comes next; the default) or a saved Position (resume after it). */
  readonly from?: number | 'head' | Position;
  /** Saved positions; a position found under `key` wins over `from`. */
  readonly store?: PositionStore;
  /** Key in the store (default: the filters as JSON). */
  readonly key?: string;
  /** Default `'error'`: fail with LogReplacedError. `'from-start'`/`'from-head'`: carry on in the new log. */
  readonly onLogReplaced?: LogReplacedChoice;
  /** Callback consumption (instead of `for await`): called in offset order, awaited one at a time. */
  readonly onEvent?: (record: EventRecord) => void | Promise<void>;
  readonly onError?: (error: Error) => void;
  readonly onNotice?: (notice: SubscriptionNotice) => void;
  /** Records buffered for a slow consumer before the socket is let go (resumed from the next offset later). */
  readonly maxBufferedEvents?: number;
  /** How often the position is written to the store, in ms (default 1000; also on close). */
  readonly saveIntervalMs?: number;
  /** Reconnect when nothing arrives this long (the server sends keepalives every 30 s); default 75 s, 0 off. */
  readonly idleTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  readonly scheduler?: Scheduler;
  readonly random?: () => number;
}

/** Where a subscription starts: the next offset to ask for (null: the head) and the epoch it must match. */
export interface StartPoint {
  readonly next: number | null;
  readonly epoch: string | null;
}

/** The start point: a position saved in the store wins over `from`. */
export function startPoint(from: SubscribeOptions['from'], saved: Position | null): StartPoint {
  const resume = saved ?? (typeof from === 'object' ? from : null);
  if (resume !== null) return { next: resume.offset + 1, epoch: resume.epoch };
  if (typeof from === 'number') return { next: Math.max(1, from), epoch: null };
  return { next: null, epoch: null };
}

/** The key the position is saved under: `key`, or else the filters as JSON. */
export function positionKey(options: SubscribeOptions): string {
  return options.key ?? JSON.stringify(options.filters ?? {});
}

/** The tracker of a subscription's position: saved under positionKey, at most once per `saveIntervalMs` (default 1 s). */
export function trackerFor(options: SubscribeOptions, scheduler: Scheduler): PositionTracker {
  const onError = (error: Error) => options.onError?.(error);
  return new PositionTracker(options.store, positionKey(options), scheduler, options.saveIntervalMs ?? 1_000, onError);
}

/** The subscribe request text: the filters, batched records with checkpoints, from `next` (null: the head). */
export function subscribeRequest(filters: EventFilter | undefined, next: number | null): string {
  const request: Record<string, unknown> = { ...filters, batch: true, checkpoints: true };
  if (next !== null) request.from_offset = next;
  return JSON.stringify(request);
}

/**
 * The TypeError for a second consumer of one subscription. Hint: two consumers took turns at random, and the one
 * that waited first was never woken, not even by close(); with onEvent, a `for await` took the records from it.
 */
export function secondConsumer(onEvent: boolean): TypeError {
  return new TypeError(
    onEvent
      ? 'subscribe: onEvent consumes this subscription already; pass onEvent or iterate with for await, not both'
      : 'subscribe: this subscription is iterated already; one for await at a time (subscribe again for a second reader)',
  );
}

const LOG_REPLACED_CHOICES: readonly unknown[] = ['error', 'from-start', 'from-head'] satisfies LogReplacedChoice[];

/** Every option of subscribe(), with what its value must be (see checkKinds). */
const SUBSCRIBE_KINDS = {
  url: 'string',
  apiKey: 'string',
  apiKeyIn: 'checked',
  WebSocket: 'function',
  filters: 'checked',
  from: 'checked',
  store: ['load', 'save'],
  key: 'string',
  onLogReplaced: 'checked',
  onEvent: 'function',
  onError: 'function',
  onNotice: 'function',
  maxBufferedEvents: 'number',
  saveIntervalMs: 'number',
  idleTimeoutMs: 'number',
  backoff: 'object',
  scheduler: SCHEDULER_METHODS,
  random: 'function',
} as const satisfies Record<keyof SubscribeOptions, KindRule>;

/**
 * Throw a TypeError naming an unknown option or one of the wrong type (checkKinds), a TypeError naming `url` unless
 * it is http(s) or ws(s), a RangeError naming the first numeric option that
 * cannot work or a `from` number that is not an offset, or a TypeError naming a `from` or `onLogReplaced` that is
 * none of the values it may be. Hint: startPoint reads anything else as the head (or a position with no epoch,
 * which fails as a replaced log), silently.
 */
export function checkSubscribeOptions(options: SubscribeOptions): void {
  checkKinds(options, SUBSCRIBE_KINDS, 'subscribe');
  checkSocketTarget(options);
  checkNumbers(options, { maxBufferedEvents: 'count', saveIntervalMs: 'timer', idleTimeoutMs: 'timer' });
  checkBackoffOptions(options.backoff);
  const from: unknown = options.from;
  if (from !== undefined && from !== 'head' && !isOffset(from) && !isPosition(from)) {
    const message = `from: must be an offset (an integer ≥ 0), 'head' or a saved position, got ${shown(from)}`;
    throw typeof from === 'number' ? new RangeError(message) : new TypeError(message);
  }
  const choice: unknown = options.onLogReplaced;
  if (choice !== undefined && !LOG_REPLACED_CHOICES.includes(choice))
    throw new TypeError(`onLogReplaced: must be 'error', 'from-start' or 'from-head', got ${shown(choice)}`);
  checkFilterKeys(options.filters);
}

/**
 * Refuses a filter key the server does not know (`sessionId`), and an empty value. Hint: the server would accept
 * either and the subscription would get every event: a typo or an unset variable must not widen what a reader sees.
 */
function checkFilterKeys(filters: unknown): void {
  if (filters === undefined || filters === null) return;
  if (typeof filters !== 'object' || Array.isArray(filters))
    throw new TypeError(`filters: must be an object, got ${shown(filters)}`);
  const known: readonly string[] = FILTER_KEYS;
  const unknown = Object.keys(filters).find((key) => !known.includes(key));
  if (unknown !== undefined)
    throw new TypeError(`filters.${unknown}: not a filter; expected ${FILTER_KEYS.join(', ')}`);
  // Hint: the server reads an empty filter as none, as the old service did (and JSON drops an undefined one):
  // `{ session_id: current }` while `current` was still '' handed a dashboard every session's events.
  const empty = Object.entries(filters).find(([, value]) => value == null || value === '' || isEmptyList(value));
  if (empty === undefined) return;
  const what = empty[1] == null ? String(empty[1]) : 'empty';
  throw new TypeError(`filters.${empty[0]}: ${what}, which would match every event; leave it out to mean every one`);
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A saved Position: `{ offset, epoch }` with an offset and an epoch that is a string or null. */
function isPosition(value: unknown): value is Position {
  if (typeof value !== 'object' || value === null) return false;
  const epoch: unknown = Reflect.get(value, 'epoch');
  return isOffset(Reflect.get(value, 'offset')) && (typeof epoch === 'string' || epoch === null);
}
