/**
 * realtime-event-pipeline/client: a typed publisher and a resumable subscriber over the pipeline's WebSocket protocol.
 * Runs in browsers, Node ≥ 22 (platform WebSocket) and Node 20 (the `ws` package).
 */
export { EVENT_TYPES, isEventType } from '../protocol/eventTypes.js';
export { type BackoffOptions, backoffDelay } from './backoff.js';
export {
  ClientClosedError,
  LogReplacedError,
  PipelineClientError,
  PublishProtocolError,
  PublishRejectedError,
  PublishTimeoutError,
  SubscriptionRejectedError,
} from './errors.js';
export {
  localStoragePositionStore,
  memoryPositionStore,
  type PositionStore,
  parsePosition,
  type StorageLike,
} from './positionStore.js';
export { Publisher, type PublisherOptions } from './publisher.js';
export type { PublisherNotice } from './publisherNotices.js';
export { realScheduler, type Scheduler, type TimerHandle } from './scheduler.js';
export { type LogReplacedChoice, type SubscribeOptions, Subscription, subscribe } from './subscriber.js';
export type { SubscribedAck, SubscriptionNotice } from './subscriptionAck.js';
export type { EventFilter, EventRecord, EventType, Position, PublishAck, PublishEvent } from './types.js';
export type { ApiKeyIn, WebSocketConstructor, WebSocketLike } from './webSocket.js';
