import { describe, expect, it } from 'vitest';
import { MessageBudget } from './messageBudget.js';

describe('MessageBudget', () => {
  it('takes up to max messages per window, refuses the rest, and starts afresh in the next window', () => {
    const budget = new MessageBudget(3, 1_000);
    expect([0, 10, 20, 30, 999].map((at) => budget.take(at))).toEqual([true, true, true, false, false]);
    expect([1_000, 1_001, 1_002, 1_003].map((at) => budget.take(at))).toEqual([true, true, true, false]);
  });
});
