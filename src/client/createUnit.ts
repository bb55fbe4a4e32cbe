import { nulledValueIn } from '../protocol/nulledValues.js';
import { checkMessageSize } from './messageSize.js';
import { type Unit, withId } from './publishBatcher.js';
import type { PublishAck, PublishEvent } from './types.js';
import { unsendableValueIn } from './unsendableValue.js';

/** What every unit of one publisher shares: its id maker, its largest message, and whom to tell when one settles. */
export interface UnitContext {
  readonly newId: () => string;
  /** The publisher's maxMessageBytes: a unit that would make a larger message is refused (checkMessageSize). */
  readonly messageCap: number;
  /** A unit settled (either way) with this many events: the publisher frees that much of its window. */
  settled(events: number): void;
}

/** What a caller's promise takes from its unit's acks. */
export type PickAcks<T> = (acks: PublishAck[]) => T;

/** What a `publish` promise takes from its acks (the one), and what a `publishBatch` promise takes (all of them). */
export const firstAck = (acks: PublishAck[]): PublishAck => acks[0]!;
export const allAcks = (acks: PublishAck[]): PublishAck[] => acks;

/**
 * One `publish` or `publishBatch` waiting for its ack, holding its promise's own resolve and reject. Hint: a class,
 * so a publish costs this object and its promise, with no closures of its own (garbage collection was 29% of the
 * SDK publisher's CPU).
 */
class PendingUnit<T> implements Unit {
  readonly solo = false;
  /** Settled already. Hint: a unit failed at its deadline on the wire may still get its answer; that is ignored. */
  private done = false;

  constructor(
    readonly events: readonly string[],
    readonly ids: readonly string[],
    readonly bytes: number,
    readonly deadline: number,
    private readonly context: UnitContext,
    private readonly pick: PickAcks<T>,
    private readonly fulfil: (value: T) => void,
    private readonly fail: (error: Error) => void,
  ) {}

  resolve(acks: PublishAck[]): void {
    if (this.done) return;
    this.done = true;
    this.context.settled(this.events.length);
    this.fulfil(this.pick(acks));
  }

  reject(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.context.settled(this.events.length);
    this.fail(error);
  }
}

/**
 * Serialize `events` once, each with its producer id (its own or a new one), into a unit due by `deadline`; a
 * TypeError for an event that cannot be sent, a RangeError for a unit whose message would pass maxMessageBytes
 * (checkMessageSize).
 */
export function createUnit<T>(
  events: readonly PublishEvent[],
  context: UnitContext,
  deadline: number,
  pick: PickAcks<T>,
  fulfil: (value: T) => void,
  fail: (error: Error) => void,
): Unit {
  const ids = new Array<string>(events.length);
  const texts = new Array<string>(events.length);
  let bytes = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const where = events.length > 1 ? `[${i}]: ` : '';
    let json = eventJson(event, where);
    // Hint: the server reads `"id": null` as no id and makes its own, so a resend would be stored twice: null gets a
    // generated id like an absent one, and the null key is left out so that the text holds one `id`.
    if (event.id === null) json = eventJson({ ...event, id: undefined }, where);
    const id = event.id ?? context.newId();
    const text = event.id === undefined || event.id === null ? withId(json, id) : json;
    ids[i] = id;
    texts[i] = text;
    bytes += text.length + 1;
  }
  checkMessageSize(texts, bytes, context.messageCap);
  return new PendingUnit(texts, ids, bytes, deadline, context, pick, fulfil, fail);
}

/**
 * A caller's promise for `events` and its unit (createUnit), or, when createUnit refuses them (a TypeError or a
 * RangeError), the promise rejected with that error and no unit: such events never take a place in the queue.
 */
export function unitPromise<T>(
  events: readonly PublishEvent[],
  context: UnitContext,
  deadline: number,
  pick: PickAcks<T>,
): { readonly unit: Unit | null; readonly done: Promise<T> } {
  let unit: Unit | null = null;
  const done = new Promise<T>((resolve, reject) => {
    try {
      unit = createUnit(events, context, deadline, pick, resolve, reject);
    } catch (error) {
      reject(error);
    }
  });
  return { unit, done };
}

/**
 * The TypeError for a `publishBatch` argument that is not an array. Hint: anything else would be read by index and
 * length as if it were one, and its events spliced into the message as `undefined`.
 */
export function notABatch(events: unknown): TypeError {
  return new TypeError(`events: publishBatch expects an array of events, got ${kindOf(events)}`);
}

/** What a value is, for an error message: `null`, `an array` or its typeof. */
function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** An object's kind for an error message: `a Date` for a class instance, else `an object`. */
function nameOf(value: object): string {
  const ctor: unknown = Reflect.get(value, 'constructor');
  const name = typeof ctor === 'function' ? ctor.name : '';
  if (name === '' || name === 'Object') return 'an object';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

/** What a JSON text holds, for an error message (undefined: JSON.stringify gave nothing to send). */
function jsonKind(json: string | undefined): string {
  if (json === undefined || json === 'null') return String(json);
  const first = json[0];
  if (first === '"') return 'a string';
  if (first === '[') return 'an array';
  return first === 't' || first === 'f' ? 'a boolean' : 'a number';
}

/**
 * An event as JSON, or a TypeError naming it (`where`: its index in a batch). Hint: checked here, before the event
 * takes a place in the queue, because a non-object would be spliced into the batch's JSON as broken text, a
 * BigInt or a cycle would throw from inside the publish, and NaN or ±Infinity (or undefined, a function or a symbol
 * in an array) would be stored as null.
 */
function eventJson(event: unknown, where: string): string {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new TypeError(`${where}event must be an object, got ${kindOf(event)}`);
  }
  // Hint: JSON.stringify's type says string, but a toJSON returning undefined (or a function) gives undefined.
  let json: string | undefined;
  try {
    json = JSON.stringify(event);
  } catch (error) {
    const named = unsendableValueIn(event) ?? (error instanceof Error ? error.message : String(error));
    throw new TypeError(`${where}event cannot be sent as JSON: ${named}`);
  }
  // Hint: an object whose toJSON gives a non-object (a Date gives a string) would be sent as something else.
  if (json === undefined || !json.startsWith('{'))
    throw new TypeError(`${where}event must be an object, got ${nameOf(event)} whose JSON is ${jsonKind(json)}`);
  // Hint: JSON writes NaN, ±Infinity, and undefined, a function or a symbol in an array, as null; sent, the event
  // would be stored with null in their place.
  const nulled = json.includes('null') ? nulledValueIn(event) : null;
  if (nulled !== null) {
    const { path, value } = nulled;
    throw new TypeError(`${where}event cannot be sent as JSON: ${path} is ${value}, which JSON would send as null`);
  }
  return json;
}
