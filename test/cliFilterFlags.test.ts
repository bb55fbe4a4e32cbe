import { describe, expect, it } from 'vitest';
import { SESSION_STATUSES } from '../src/protocol/sessionStatus.js';
import { cli } from './support/cliRun.js';

// Nothing listens on port 9: a command that asked the server would end with exit 3 (unreachable), so exit 2 with the
// usage shows the flag was refused here, before any request.
const NOWHERE = 'http://127.0.0.1:9';

describe('filter flags are checked before the server is asked', () => {
  it('sessions --status takes only a session status: anything else is a usage error naming the flag and the list', async () => {
    const run = await cli(['sessions', '--url', NOWHERE, '--status', 'bogus']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`sessions: --status: must be one of ${SESSION_STATUSES.join(', ')}, got "bogus"`);
    expect(run.stderr).toContain('usage: event-pipeline sessions');
    const help = await cli(['sessions', '--help']);
    expect(help.stdout).toContain(`only this status (${SESSION_STATUSES.join(', ')})`);
  });

  it('an empty filter value is a usage error naming the flag, not "no filter"', async () => {
    const cases: ReadonlyArray<readonly [string[], string]> = [
      [['tail', '--session', ''], '--session'],
      [['tail', '--user', ''], '--user'],
      [['tail', '--source', ''], '--source'],
      [['tail', '--type', 'quiz_started', '--type', ''], '--type'],
      [['tail', '--follow', '--session', ''], '--session'],
      [['sessions', '--status', ''], '--status'],
    ];
    for (const [args, flag] of cases) {
      const run = await cli([...args, '--url', NOWHERE]);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(`${args[0]}: ${flag}: empty; an empty filter would match every event`);
    }
  });

  it('a filter given a value still reaches the server (exit 3 here: nothing listens)', async () => {
    for (const args of [
      ['tail', '--session', 's-1'],
      ['sessions', '--status', 'completed'],
    ]) {
      const run = await cli([...args, '--url', NOWHERE]);
      expect(run.code, run.stderr).toBe(3);
    }
  });
});
