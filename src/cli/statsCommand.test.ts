import { describe, expect, it } from 'vitest';
import { usersText } from './statsCommand.js';

describe('usersText', () => {
  it('says how many users a listing left out', () => {
    expect(usersText(['u1', 'u2'], 25)).toBe('u1,u2 (+23 more)');
  });
  it('lists every user when none were left out, or the server did not count them', () => {
    expect(usersText(['u1', 'u2'], 2)).toBe('u1,u2');
    expect(usersText(['u1', 'u2'])).toBe('u1,u2');
    expect(usersText([], 0)).toBe('');
  });
});
