import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventFactory } from '../../bench/lib/eventFactory.js';
import { messageText, type Unit } from '../client/publishBatcher.js';
import { decodePublishMessage } from './decodePublishMessage.js';
import { EVENT_TYPES } from './eventTypes.js';
import { fastEventBatch, fastSingleEvent } from './fastPublish.js';
import { publishInputs, readPublishMessage } from './publishMessage.js';

const LIMITS = { maxJsonDepth: 4, maxPayloadKeys: 6, maxPayloadBytes: 400 };

/** What the general path makes of a one-event message: its inputs when it would accept it, else null. */
function generalPath(text: string, limits = LIMITS) {
  const decoded = decodePublishMessage(text, limits);
  if (!decoded.ok) return null;
  const message = readPublishMessage(decoded.value, 'message');
  const parsed = publishInputs(message, limits, 'message');
  return parsed.ok && !message.isBatch && message.ref === undefined ? parsed.value : null;
}

/** What the general path makes of a batch message: its inputs and `ref` when it would accept it, else null. */
function generalBatch(text: string, limits = LIMITS) {
  const decoded = decodePublishMessage(text, limits);
  if (!decoded.ok) return null;
  const message = readPublishMessage(decoded.value, 'message');
  const parsed = publishInputs(message, limits, 'message');
  return parsed.ok && message.isBatch ? { inputs: parsed.value, ref: message.ref } : null;
}

const good = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: usual }, { weight: 1, arbitrary: odd });
// Hint: pieces chosen to hit every way a text can be valid JSON yet not canonical, or not an acceptable event.
const key = good(
  fc.constantFrom('a', 'b', 'quiz_id', '1a', '', 'é', 'a b', 'k"'),
  fc.constantFrom('0', '12', '__proto__', 'constructor'),
);
const scalar = good(
  fc.oneof(
    fc.constantFrom('1', '0', '-12', '1.5', '0.1', '-0.5', '1e+21', '123456789012345', 'true', 'false', 'null'),
    fc.constantFrom('"x"', '"é😀"', '""', '"a b"'),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  ),
  fc.oneof(
    fc.constantFrom('-0', '1.0', '1e3', '1e21', '1234567890123456', '12345678901234567890', '0.10'),
    fc.constantFrom('"a\\"b"', '"\\u0041"', '"\\/"', '"\\n"'),
    fc.string().map((text) => JSON.stringify(text)),
  ),
);
const { json } = fc.letrec((tie) => ({
  json: fc.oneof({ depthSize: 'small' }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('json'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
  object: fc
    .array(fc.tuple(key, tie('json')), { maxLength: 4 })
    .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
}));
const text = (values: string[]) => fc.constantFrom(...values.map((v) => JSON.stringify(v)));
const fields = fc.record(
  {
    event_type: good(text(EVENT_TYPES.slice(0, 2)), fc.oneof(text(['nope']), scalar)),
    source: good(text(['app', 'a.b-c']), fc.constantFrom('"a b"', '""', '"app\\u0041"', 'null')),
    session_id: good(text(['s1', 'é😀']), scalar),
    user_id: good(fc.constantFrom('"u1"', 'null'), scalar),
    id: good(text(['id:1', 'x']), scalar),
    payload: good(tieObject(), json),
    extra: fc.tuple(fc.constantFrom('ref', 'events', 'other'), json),
  },
  { requiredKeys: ['event_type', 'source'] },
);
const message = fc
  .tuple(fields, fc.constantFrom('', '', '', '', '', ' ', '\n'), fc.nat({ max: 9 }))
  .map(([f, space, dice]) => {
    const { extra, ...named } = f;
    const pairs = Object.entries(named).map(([k, v]) => `"${k}":${space}${v}`);
    if (extra !== undefined && dice < 3) pairs.push(`"${extra[0]}":${extra[1]}`);
    if (dice === 9) pairs.push(pairs[0]!);
    return `{${pairs.join(',')}}`;
  });

/** Objects, mostly canonical: the payloads that reach the fast path. */
function tieObject(): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(key, json), { maxLength: 4 })
    .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);
}

describe('fastSingleEvent', () => {
  it('answers only where the general path accepts the message, and then with exactly its input', () => {
    let answered = 0;
    fc.assert(
      fc.property(message, fc.integer({ min: 0, max: 5 }), (text, depth) => {
        const limits = { ...LIMITS, maxJsonDepth: depth };
        const fast = fastSingleEvent(text, limits);
        if (fast === null) return;
        answered++;
        expect(generalPath(text, limits)).toEqual([fast]);
      }),
      { numRuns: 5_000 },
    );
    // The property is not vacuous: a good share of the generated messages took the fast path.
    expect(answered).toBeGreaterThan(100);
  });

  it('reads the traffic the benchmarks send (realistic events) on the fast path', () => {
    const factory = new EventFactory({ seed: 7, sessions: 1_000, users: 5_000 });
    const limits = { maxJsonDepth: 32, maxPayloadKeys: 100, maxPayloadBytes: 65_536 };
    for (let i = 0; i < 2_000; i++) {
      const text = JSON.stringify(factory.next());
      const fast = fastSingleEvent(text, limits);
      expect(fast).not.toBeNull();
      expect(generalPath(text, limits)).toEqual([fast]);
    }
  });

  it('leaves every other shape to the general path', () => {
    const limits = { maxJsonDepth: 32, maxPayloadKeys: 100, maxPayloadBytes: 65_536 };
    const ok = '{"event_type":"quiz_started","source":"a","payload":{"n":1}}';
    expect(fastSingleEvent(ok, limits)).not.toBeNull();
    for (const text of [
      `[${ok}]`,
      '{"events":[],"ref":1}',
      '{"event_type":"quiz_started","source":"a","payload":{"n":1.0}}',
      '{"event_type":"quiz_started","source":"a","payload":{"2":1,"1":2}}',
      '{"event_type":"quiz_started","source":"a","payload":{"n":1,"n":2}}',
      '{"event_type":"quiz_started","source":"a","payload":{"n":"\\u0041"}}',
      '{"event_type":"quiz_started", "source":"a"}',
      '{"event_type":"quiz_started","source":"a","ref":7}',
      '{"event_type":"quiz_started","source":"a","payload":[]}',
      `${ok} `,
    ])
      expect(fastSingleEvent(text, limits)).toBeNull();
  });
});

describe('fastEventBatch', () => {
  // Plain events (JSON.stringify of a valid one) mixed with the odd messages above, so that whole arrays often qualify.
  const plain = fc
    .record({
      event_type: fc.constantFrom(...EVENT_TYPES),
      source: fc.constantFrom('app', 'a.b-c'),
      session_id: fc.option(fc.constantFrom('s1', 's2')),
      payload: fc.dictionary(fc.constantFrom('a', 'b', 'quiz_id'), fc.oneof(fc.integer(), fc.string({ maxLength: 4 }))),
    })
    .map((event) => JSON.stringify(event));
  const item = fc.oneof({ weight: 3, arbitrary: plain }, { weight: 1, arbitrary: message });
  const batch = fc
    .tuple(fc.array(item, { maxLength: 4 }), fc.constantFrom('', '', '', ' ', '\n'), fc.nat({ max: 10 }))
    .chain(([items, space, dice]) => {
      const inner = items.join(`,${space}`);
      // Envelopes with every kind of ref (the fast path takes plain non-negative integers, first), other envelope
      // layouts and trailing text, which only the general path reads.
      if (dice >= 6)
        return fc
          .constantFrom('1', '0', '42', '123456789012345', '1234567890123456', '01', '-1', '1.5', '1e3', '"a"', 'null')
          .map((ref) =>
            dice === 6
              ? `{"events":[${inner}],"ref":${ref}}`
              : dice === 7
                ? `{"events":[${inner}]}`
                : `{"ref":${ref},${space}"events":[${inner}]}`,
          );
      if (dice === 5) return fc.constant(`[${inner}]${space === '' ? ',' : space}`);
      return fc.constant(`[${inner}]`);
    });

  it('answers only where the general path accepts the batch, and then with exactly its inputs and ref', () => {
    let answered = 0;
    let several = 0;
    let envelopes = 0;
    fc.assert(
      fc.property(batch, fc.integer({ min: 0, max: 7 }), (text, depth) => {
        const limits = { ...LIMITS, maxJsonDepth: depth };
        const fast = fastEventBatch(text, limits);
        if (fast === null) return;
        answered++;
        if (fast.inputs.length > 1) several++;
        if (fast.ref !== undefined) envelopes++;
        expect(generalBatch(text, limits)).toEqual(fast);
      }),
      { numRuns: 6_000 },
    );
    // Not vacuous: many batches took the fast path, arrays of several events and envelopes among them.
    expect(answered).toBeGreaterThan(100);
    expect(several).toBeGreaterThan(20);
    expect(envelopes).toBeGreaterThan(20);
  });

  it('reads the arrays the benchmarks send on the fast path', () => {
    const factory = new EventFactory({ seed: 11, sessions: 1_000, users: 5_000 });
    const limits = { maxJsonDepth: 32, maxPayloadKeys: 100, maxPayloadBytes: 65_536 };
    for (let i = 0; i < 50; i++) {
      const text = JSON.stringify(Array.from({ length: 100 }, () => factory.next()));
      const fast = fastEventBatch(text, limits);
      expect(fast?.inputs).toHaveLength(100);
      expect(generalBatch(text, limits)).toEqual(fast);
    }
  });

  it("reads the SDK's envelopes on the fast path", () => {
    const factory = new EventFactory({ seed: 12, sessions: 1_000, users: 5_000 });
    const limits = { maxJsonDepth: 32, maxPayloadKeys: 100, maxPayloadBytes: 65_536 };
    const unit = (i: number): Unit => ({
      events: [JSON.stringify({ ...factory.next(), id: `p-${i}` })],
      ids: [`p-${i}`],
      bytes: 0,
      solo: false,
      deadline: 0,
      resolve: () => undefined,
      reject: () => undefined,
    });
    for (let ref = 1; ref <= 50; ref++) {
      const text = messageText(
        ref,
        Array.from({ length: 20 }, (_, i) => unit(ref * 100 + i)),
      );
      const fast = fastEventBatch(text, limits);
      expect(fast?.ref).toBe(ref);
      expect(fast?.inputs).toHaveLength(20);
      expect(generalBatch(text, limits)).toEqual(fast);
    }
  });

  it('leaves every other shape to the general path', () => {
    const limits = { maxJsonDepth: 32, maxPayloadKeys: 100, maxPayloadBytes: 65_536 };
    const ok = '{"event_type":"quiz_started","source":"a","payload":{"n":1}}';
    expect(fastEventBatch(`[${ok},${ok}]`, limits)?.inputs).toHaveLength(2);
    expect(fastEventBatch(`{"ref":7,"events":[${ok}]}`, limits)).toMatchObject({ ref: 7 });
    for (const text of [
      ok,
      '[]',
      `[${ok},]`,
      `[${ok}, ${ok}]`,
      `[${ok}][${ok}]`,
      `[${ok},{"event_type":"quiz_started","source":"a","payload":{"n":1.0}}]`,
      `[${ok},{"event_type":"nope","source":"a"}]`,
      `{"events":[${ok}]}`,
      `{"events":[${ok}],"ref":7}`,
      `{"ref":"7","events":[${ok}]}`,
      `{"ref":7,"events":[]}`,
      `{"ref":7,"events":[${ok}],"x":1}`,
      `[${ok}] `,
    ])
      expect(fastEventBatch(text, limits)).toBeNull();
    // Depth counts from the event, as over REST: the array or envelope around it is no level of its own.
    const depth3 = { ...limits, maxJsonDepth: 3 };
    const nested = '{"event_type":"quiz_started","source":"a","payload":{"n":{"m":1}}}';
    expect(fastSingleEvent(nested, depth3)).not.toBeNull();
    for (const text of [`[${nested}]`, `{"ref":1,"events":[${nested}]}`]) {
      expect(fastEventBatch(text, depth3)?.inputs).toHaveLength(1);
      expect(generalBatch(text, depth3)).toEqual(fastEventBatch(text, depth3));
    }
    const deeper = nested.replace('{"m":1}', '{"m":{}}');
    expect([fastSingleEvent(deeper, depth3), generalPath(deeper, depth3)]).toEqual([null, null]);
    for (const text of [`[${deeper}]`, `{"ref":1,"events":[${deeper}]}`])
      expect([fastEventBatch(text, depth3), generalBatch(text, depth3)]).toEqual([null, null]);
  });
});
