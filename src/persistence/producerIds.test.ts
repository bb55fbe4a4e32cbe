import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventInput } from '../protocol/eventInput.js';
import type { EventType } from '../protocol/eventTypes.js';
import { type GroupResolution, hasProducerIds, type ProducerIdDecision, resolveProducerIds } from './producerIds.js';

type Input = Pick<EventInput, 'id' | 'event_type' | 'source' | 'session_id' | 'user_id' | 'payloadJson'>;
/** A committed record: content plus a tag, so tests can tell which record a duplicate resolved to. */
type Committed = Input & { readonly tag: string };

const TYPES: readonly EventType[] = ['session_created', 'answer_submitted'];

/** Serialize with keys in a chosen order (reversed or not, at every level), so equal content has several texts. */
function serialize(value: unknown, reversed: boolean): string {
  if (Array.isArray(value)) return `[${value.map((item) => serialize(item, reversed)).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const keys = Object.keys(value);
  if (reversed) keys.reverse();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${serialize(Object.getOwnPropertyDescriptor(value, key)?.value, reversed)}`).join(',')}}`;
}

const payloadArb = fc
  .tuple(
    fc.constantFrom<unknown>({}, { a: 1, b: 2 }, { a: 1, b: 3 }, { x: { p: [1, { q: 2, r: 3 }], s: 'z' } }),
    fc.boolean(),
  )
  .map(([value, reversed]) => serialize(value, reversed));

const contentArb = fc.record({
  event_type: fc.constantFrom(...TYPES),
  source: fc.constantFrom('lms', 'quiz'),
  session_id: fc.constantFrom<string | null>(null, 's1'),
  user_id: fc.constant<string | null>(null),
  payloadJson: payloadArb,
});

const inputArb: fc.Arbitrary<Input> = fc
  .tuple(fc.constantFrom<string | null>(null, 'a', 'b', 'c'), contentArb)
  .map(([id, content]) => ({ id, ...content }));

const storeArb = fc
  .dictionary(fc.constantFrom('a', 'b', 'c'), contentArb, { maxKeys: 3 })
  .map(
    (entries) =>
      new Map(
        Object.entries(entries).map(([id, content]): [string, Committed] => [
          id,
          { id, ...content, tag: `stored:${id}` },
        ]),
      ),
  );

/** Independent notion of "the same event": equal fields, payloads equal as parsed values (key order ignored). */
function same(a: Input, b: Input): boolean {
  const fields = (x: Input) => [x.event_type, x.source, x.session_id, x.user_id];
  return (
    isDeepStrictEqual(fields(a), fields(b)) && isDeepStrictEqual(JSON.parse(a.payloadJson), JSON.parse(b.payloadJson))
  );
}

/** The naive model: for each input, what it resends (the first input of its id in the group, else the stored record). */
function model(group: readonly Input[], stored: (id: string) => Committed | null): GroupResolution<Committed> {
  const decisions: ProducerIdDecision<Committed>[] = [];
  for (const [i, input] of group.entries()) {
    const id = input.id;
    if (id === null) {
      decisions.push({ kind: 'new' });
      continue;
    }
    const first = group.findIndex((other) => other.id === id);
    const record = stored(id);
    const reference = first < i ? group[first]! : record;
    if (reference !== null && !same(reference, input)) return { ok: false, conflict: { index: i, id } };
    if (record !== null) decisions.push({ kind: 'duplicate', record });
    else decisions.push(first < i ? { kind: 'repeat', index: first } : { kind: 'new' });
  }
  return { ok: true, decisions };
}

describe('resolveProducerIds', () => {
  it('agrees with a naive model of first-write-wins ids (committed before, earlier in the commit, earlier in the group)', () => {
    fc.assert(
      fc.property(fc.array(inputArb, { maxLength: 8 }), storeArb, storeArb, (group, before, earlierInCommit) => {
        const stored = (id: string) => earlierInCommit.get(id) ?? before.get(id) ?? null;
        const actual = resolveProducerIds(group, (id) => before.get(id) ?? null, earlierInCommit);
        expect(actual).toEqual(model(group, stored));
      }),
      { numRuns: 1000 },
    );
  });

  it('decides the same whatever the payload key order of any input', () => {
    fc.assert(
      fc.property(
        fc.array(inputArb, { maxLength: 8 }),
        storeArb,
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        (group, before, flips) => {
          const reordered = group.map((input, i) => ({
            ...input,
            payloadJson: serialize(JSON.parse(input.payloadJson), flips[i]!),
          }));
          const lookup = (id: string) => before.get(id) ?? null;
          expect(resolveProducerIds(reordered, lookup, new Map())).toEqual(
            resolveProducerIds(group, lookup, new Map()),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('looks each distinct id up at most once, and never one already committed earlier in this commit', () => {
    fc.assert(
      fc.property(fc.array(inputArb, { maxLength: 8 }), storeArb, storeArb, (group, before, earlierInCommit) => {
        const asked: string[] = [];
        resolveProducerIds(
          group,
          (id) => {
            asked.push(id);
            return before.get(id) ?? null;
          },
          earlierInCommit,
        );
        expect(new Set(asked).size).toBe(asked.length);
        for (const id of asked) expect(earlierInCommit.has(id)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('resolves a group without producer ids to all new, without looking anything up', () => {
    const group: Input[] = [
      { id: null, event_type: 'session_created', source: 'lms', session_id: 's1', user_id: null, payloadJson: '{}' },
      { id: null, event_type: 'session_created', source: 'lms', session_id: 's1', user_id: null, payloadJson: '{}' },
    ];
    expect(hasProducerIds(group)).toBe(false);
    const result = resolveProducerIds(
      group,
      () => {
        throw new Error('looked up');
      },
      new Map(),
    );
    expect(result).toEqual({ ok: true, decisions: [{ kind: 'new' }, { kind: 'new' }] });
  });

  it('reports the first conflicting index even when a later input would be a duplicate', () => {
    const base = { event_type: 'session_created', source: 'lms', session_id: null, user_id: null } as const;
    const group: Input[] = [
      { id: 'a', ...base, payloadJson: '{"v":1}' },
      { id: 'a', ...base, payloadJson: '{"v":2}' },
      { id: 'a', ...base, payloadJson: '{"v":1}' },
    ];
    expect(hasProducerIds(group)).toBe(true);
    expect(resolveProducerIds(group, () => null, new Map())).toEqual({ ok: false, conflict: { index: 1, id: 'a' } });
  });
});
