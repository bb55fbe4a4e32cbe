import { describe, expect, it } from 'vitest';
import {
  checkpoint,
  describeFilter,
  errorMessage,
  filtersUpdated,
  KEEPALIVE,
  PONG,
  type ServerMessage,
} from './serverMessages.js';

describe('server message constructors', () => {
  it('build errors with optional retryable, code and ref, in the order clients have always seen', () => {
    expect(JSON.stringify(errorMessage('bad'))).toBe('{"status":"error","message":"bad"}');
    expect(JSON.stringify(errorMessage('slow down', { retryable: true, code: 429 }))).toBe(
      '{"status":"error","message":"slow down","retryable":true,"code":429}',
    );
  });

  it('echo the filter with every field present and list ignored keys only when there are some', () => {
    expect(describeFilter({ user_id: 'u' })).toEqual({
      event_types: null,
      session_id: null,
      user_id: 'u',
      source: null,
    });
    expect(filtersUpdated({ source: 's' }, [])).toEqual({
      status: 'filters_updated',
      filters: { event_types: null, session_id: null, user_id: null, source: 's' },
    });
    expect(filtersUpdated({}, ['userId'])).toMatchObject({ status: 'filters_updated', ignored: ['userId'] });
  });

  it('give the subscriber control messages their wire shapes', () => {
    const sent: ServerMessage[] = [checkpoint(12), KEEPALIVE, PONG];
    expect(sent.map((message) => JSON.stringify(message))).toEqual([
      '{"type":"checkpoint","offset":12}',
      '{"type":"keepalive"}',
      '{"type":"pong"}',
    ]);
  });
});
