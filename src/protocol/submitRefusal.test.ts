import { describe, expect, it } from 'vitest';
import { submitRefusalMessage } from './submitRefusal.js';

const bounds = { maxPendingEvents: 100_000, maxPendingBytes: 134_217_728 };

describe('submitRefusalMessage', () => {
  it('names the setting whose bound the publish would pass, with its value', () => {
    expect(submitRefusalMessage('MAX_PENDING_EVENTS', bounds, 'x')).toBe(
      'too many events are waiting for a commit (MAX_PENDING_EVENTS: 100000); retry shortly',
    );
    expect(submitRefusalMessage('MAX_PENDING_BYTES', bounds, 'x')).toBe(
      'too many payload bytes are waiting for a commit (MAX_PENDING_BYTES: 134217728); retry shortly',
    );
  });

  it("gives the transport's own advice while shutting down", () => {
    expect(submitRefusalMessage('stopping', bounds, 'server shutting down; retry shortly')).toBe(
      'server shutting down; retry shortly',
    );
  });
});
