import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { LogWriteError, RetentionRefusedError } from '../eventLog.js';
import { purgeFailed } from './streamRetention.js';

const apiError = (code: number, description: string) =>
  new JetStreamApiError({ code: 400, err_code: code, description });

describe('purgeFailed', () => {
  it('says nothing was deleted when the stream refuses purges for good (deny_purge)', () => {
    const error = purgeFailed('EVENTS', 501, apiError(10110, 'purge not permitted'));
    expect(error).toBeInstanceOf(RetentionRefusedError);
    expect(error.message).toBe(
      'stream EVENTS denies purges (deny_purge), so retention cannot delete from it; nothing was deleted',
    );
  });

  it('says nothing was deleted when the stream answers with another refusal', () => {
    const error = purgeFailed('EVENTS', 501, apiError(10008, 'JetStream system temporarily unavailable'));
    expect(error).toBeInstanceOf(LogWriteError);
    expect(error.message).toBe(
      'stream EVENTS refused the purge (JetStream system temporarily unavailable); nothing was deleted, retry',
    );
  });

  it('never says nothing was deleted without an answer: the purge may have been applied, and a retry is safe', () => {
    const error = purgeFailed('EVENTS', 501, new errors.TimeoutError());
    expect(error).toBeInstanceOf(LogWriteError);
    expect(error.message).not.toMatch(/nothing was deleted/);
    expect(error.message).toBe(
      'stream EVENTS did not answer the purge (timeout); it may still have been applied, and then every node ' +
        'follows it (/stats first_offset reaches 501), usually within seconds, but minutes later when only the lost ' +
        "leader's copy took it (once that server leads again); retrying is safe",
    );
    expect(error.cause).toBeInstanceOf(errors.TimeoutError);
  });
});
