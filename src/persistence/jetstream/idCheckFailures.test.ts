import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../actors/manualScheduler.js';
import { IdCheckFailures, isNatsError, RETELL_MS, UNCONFIRMED_IDS } from './idCheckFailures.js';

const unavailable = () =>
  new JetStreamApiError({ code: 503, err_code: 10008, description: 'JetStream system temporarily unavailable' });

describe('IdCheckFailures', () => {
  it("tells a NATS error's cause once in a warning line and gives it to the reply, without a cause to stack", () => {
    const clock = new ManualScheduler();
    const lines: string[] = [];
    const failures = new IdCheckFailures(
      (line) => lines.push(line),
      () => clock.now(),
    );
    const refusal = failures.refusal(new errors.TimeoutError());
    expect(refusal.message).toBe(UNCONFIRMED_IDS);
    expect(refusal.reason).toBe(`${UNCONFIRMED_IDS}: timeout`);
    expect(refusal.cause).toBeUndefined();
    expect(refusal.uncertain || refusal.refusal).toBe(false);
    expect(lines).toEqual([
      `${UNCONFIRMED_IDS} (TimeoutError: timeout); the commit was refused with nothing sent, retry`,
    ]);
    // The same cause again (commits in flight together): not told again until RETELL_MS after it was.
    failures.refusal(new errors.TimeoutError());
    clock.advance(RETELL_MS - 1);
    expect(failures.refusal(new errors.TimeoutError()).reason).toBe(`${UNCONFIRMED_IDS}: timeout`);
    expect(lines).toHaveLength(1);
    clock.advance(1);
    failures.refusal(new errors.TimeoutError());
    expect(lines).toHaveLength(2);
    // Another cause is told at once, and after an answer the same one is told again.
    expect(failures.refusal(unavailable()).reason).toBe(`${UNCONFIRMED_IDS}: JetStream system temporarily unavailable`);
    expect(lines[2]).toMatch(/\(JetStreamApiError: JetStream system temporarily unavailable\)/);
    failures.answered();
    failures.refusal(unavailable());
    expect(lines).toHaveLength(4);
  });

  it('keeps an unexpected error out of the reply and the warning: it is the refusal’s cause, logged with its stack', () => {
    const lines: string[] = [];
    const failures = new IdCheckFailures((line) => lines.push(line), Date.now);
    const bug = new TypeError("Cannot read properties of undefined (reading 'state')");
    const refusal = failures.refusal(bug);
    expect(refusal.message).toBe(UNCONFIRMED_IDS);
    expect(refusal.reason).toBeNull();
    expect(refusal.cause).toBe(bug);
    expect(lines).toEqual([]);
  });

  it("takes the client's errors for NATS errors, and nothing else", () => {
    expect(isNatsError(new errors.TimeoutError())).toBe(true);
    expect(isNatsError(new errors.RequestError('connection disconnected'))).toBe(true);
    expect(isNatsError(new errors.ClosedConnectionError())).toBe(true);
    expect(isNatsError(unavailable())).toBe(true);
    expect(isNatsError(Object.assign(new Error('jetstream is not enabled'), { name: 'JetStreamNotEnabled' }))).toBe(
      true,
    );
    expect(isNatsError(new TypeError('x'))).toBe(false);
    expect(isNatsError(new Error('timeout'))).toBe(false);
  });
});
