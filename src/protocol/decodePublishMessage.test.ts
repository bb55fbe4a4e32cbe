import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePublishMessage } from './decodePublishMessage.js';
import { fastEventBatch, fastSingleEvent } from './fastPublish.js';
import { formatIssues } from './issue.js';
import { publishInputs, readPublishMessage } from './publishMessage.js';

const LIMITS = { maxJsonDepth: 4, maxPayloadKeys: 50, maxPayloadBytes: 65_536 };

/** A value nesting `depth` containers (0: a number), each an object or an array as `arrays` says level by level. */
function nested(depth: number, arrays: readonly boolean[] = []): unknown {
  let value: unknown = 1;
  for (let level = depth - 1; level >= 0; level--) value = arrays[level] ? [value] : { n: value };
  return value;
}

/** An event nesting `depth` levels in all (the event is 1, its payload 2), deepest in its payload. */
const eventOf = (depth: number, extra: Record<string, unknown> = {}) => ({
  event_type: 'quiz_started',
  source: 's',
  ...extra,
  payload: nested(depth - 1),
});

/**
 * What /ws/publish makes of a message's text, read as wsPublishMessage reads it (the fast readers, else the general
 * path): its inputs, or its refusal. Hint: the `ref` and integer checks between are the same for every form.
 */
function overWs(text: string, limits = LIMITS) {
  const fast = fastSingleEvent(text, limits) ?? fastEventBatch(text, limits)?.inputs;
  if (fast !== undefined && fast !== null) return { inputs: Array.isArray(fast) ? fast : [fast] };
  const decoded = decodePublishMessage(text, limits);
  if (!decoded.ok) return { refused: decoded.message };
  const parsed = publishInputs(readPublishMessage(decoded.value, 'message'), limits, 'message');
  return parsed.ok ? { inputs: parsed.value } : { refused: formatIssues(parsed.issues.summarized()) };
}

/** What POST /events makes of the same events, one alone or several as an array. */
function overRest(body: unknown, limits = LIMITS) {
  const parsed = publishInputs(readPublishMessage(body, 'body'), limits, 'body');
  return parsed.ok ? { inputs: parsed.value } : { refused: formatIssues(parsed.issues.summarized()) };
}

describe('decodePublishMessage', () => {
  it('takes an event of MAX_JSON_DEPTH levels alone, in an array and in the envelope, canonical or not', () => {
    const ok = eventOf(4);
    const accepted = { inputs: [expect.objectContaining({ payloadJson: '{"n":{"n":{"n":1}}}' })] };
    expect(overRest(ok)).toEqual(accepted);
    for (const value of [ok, [ok], { ref: 1, events: [ok] }, { ref: 'r', events: [ok] }])
      for (const space of [undefined, 1]) expect(overWs(JSON.stringify(value, null, space))).toEqual(accepted);
  });

  it('names every event too deep, as REST does, however deep the message', () => {
    const named =
      '[0].payload.n.n.n: nests deeper than 4 levels (MAX_JSON_DEPTH); ' +
      '[2].payload.n.n.n: nests deeper than 4 levels (MAX_JSON_DEPTH)';
    // 5 levels: within the message's bound (4 + 2); 500: past it, refused before anything recursive reads it.
    for (const depth of [5, 500]) {
      const events = [eventOf(depth), eventOf(2), eventOf(depth)];
      const rest = overRest(events);
      expect(rest).toEqual({ refused: named });
      expect(overWs(JSON.stringify(events))).toEqual(rest);
      expect(overWs(JSON.stringify({ ref: 3, events }))).toEqual(rest);
      expect(overWs(JSON.stringify(events[0]))).toEqual(overRest(events[0]));
    }
  });

  it('bounds the message at MAX_JSON_DEPTH + 2, naming an envelope field past it and echoing a plain ref', () => {
    const ok = eventOf(2);
    expect(decodePublishMessage(JSON.stringify({ ref: nested(5), events: [ok] }), LIMITS).ok).toBe(true);
    const deepRef = decodePublishMessage(JSON.stringify({ ref: nested(6), events: [ok] }), LIMITS);
    expect(deepRef).toEqual({
      ok: false,
      reason: 'depth',
      message:
        'ref.n.n.n.n.n: nests deeper than 6 levels, the most a message may (MAX_JSON_DEPTH + 2 for the envelope and its events)',
    });
    const hostile = decodePublishMessage(`{"ref":"r","events":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`, LIMITS);
    expect(hostile).toEqual({
      ok: false,
      reason: 'depth',
      message: '[0]: event must be a JSON object',
      ref: 'r',
    });
  });

  it('accepts an event over /ws/publish in any form exactly when REST accepts it, and refuses it in the same words', () => {
    // Events of 2 to 9 levels (up to 8 past the limit, beyond the message's bound), deepest in the payload or in a
    // field no rule reads (it counts as over REST), each level an object or an array.
    const depth = fc.integer({ min: 2, max: 9 });
    const shape = fc.array(fc.boolean(), { minLength: 9, maxLength: 9 });
    const event = fc
      .record({ payload: fc.tuple(depth, shape), extra: fc.option(fc.tuple(depth, shape)) })
      .map(({ payload, extra }) => ({
        event_type: 'timer_tick',
        source: 'p',
        ...(extra === null ? {} : { note: nested(extra[0] - 1, extra[1]) }),
        payload: { n: nested(payload[0] - 2, payload[1]) },
      }));
    const form = fc.constantFrom('single', 'array', 'envelope', 'envelope with a string ref');
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 3 }),
        form,
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        (events, kind, maxJsonDepth, indent) => {
          const limits = { ...LIMITS, maxJsonDepth };
          const message =
            kind === 'single' ? events[0] : kind === 'array' ? events : { ref: kind === 'envelope' ? 9 : 'r', events };
          const rest = overRest(kind === 'single' ? events[0] : events, limits);
          const ws = overWs(JSON.stringify(message, null, indent ? 1 : undefined), limits);
          expect(ws).toEqual(rest);
          if ('inputs' in rest) accepted++;
          else refused++;
        },
      ),
      { numRuns: 3_000 },
    );
    // Not vacuous: both outcomes came up often (about 1 in 10 runs is accepted: every event must fit the limit).
    expect(Math.min(accepted, refused)).toBeGreaterThan(100);
  });
});
