import { describe, expect, it } from 'vitest';
import { AnswersUnderWay, LARGE_ANSWER_BYTES } from './answersUnderWay.js';
import { HttpError } from './httpError.js';

describe('AnswersUnderWay', () => {
  it('refuses a large answer to an address with all its places, not a small one, nor another address', () => {
    let refused = 0;
    const answers = new AnswersUnderWay(2, () => refused++);
    const reply = answers.forReply(() => 'a', true);
    const held = [reply.hold(), reply.hold()];
    expect(reply.refusal(LARGE_ANSWER_BYTES)).toBeNull();
    const refusal = reply.refusal(LARGE_ANSWER_BYTES + 1);
    expect(refusal).toBeInstanceOf(HttpError);
    expect([refusal?.status, refusal?.headers]).toEqual([429, { 'Retry-After': '1' }]);
    expect(answers.forReply(() => 'b', true).refusal(LARGE_ANSWER_BYTES + 1)).toBeNull();
    // A streamed answer took its place at its start: its own write is not refused.
    expect(answers.forReply(() => 'a', false).refusal(LARGE_ANSWER_BYTES + 1)).toBeNull();
    expect(() => answers.take('a')).toThrow(HttpError);
    expect([refused, answers.total]).toEqual([2, 2]);
    held[0]?.();
    expect(reply.refusal(LARGE_ANSWER_BYTES + 1)).toBeNull();
    expect(answers.total).toBe(1);
  });
});
