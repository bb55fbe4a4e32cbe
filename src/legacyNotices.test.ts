import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { legacyNotices } from './legacyNotices.js';

const config = loadConfig({});

describe('legacyNotices', () => {
  it('says nothing when none of the old variables is set, or when they are blank', () => {
    expect(legacyNotices({}, config)).toEqual([]);
    expect(legacyNotices({ DEBUG: '', LOG_FORMAT: ' ', MAX_QUEUE_SIZE: '' }, config)).toEqual([]);
  });

  it('gives one line per variable set, in a fixed order, each naming it', () => {
    const env = { MAX_QUEUE_SIZE: '10000', LOG_FORMAT: 'text', DEBUG: 'false' };
    const notices = legacyNotices(env, config);
    expect(notices.map((notice) => notice.variable)).toEqual(['DEBUG', 'LOG_FORMAT', 'MAX_QUEUE_SIZE']);
    for (const notice of notices) expect(notice.message.startsWith(`${notice.variable}=`)).toBe(true);
  });

  it('DEBUG=true: not mapped to a log level, as the old service did not; says where the traceback went and how to get more lines', () => {
    const [notice] = legacyNotices({ DEBUG: 'True' }, loadConfig({ LOG_LEVEL: 'warning' }));
    expect(notice?.message).toBe(
      'DEBUG=True is not read by this server: in the old service it made a 500 answer carry the Python traceback, ' +
        'and left the log level alone; here a 500 never carries a stack trace and is logged with its stack at error ' +
        'level. For more log lines set LOG_LEVEL=debug (it is warn)',
    );
  });

  it('DEBUG set to anything but "true" was off in the old service too', () => {
    for (const value of ['false', '1', 'yes'])
      expect(legacyNotices({ DEBUG: value }, config)[0]?.message).toBe(
        `DEBUG=${value} is not read by this server; the old service's debug mode was off with it, as here (no stack trace in an answer), so it can go`,
      );
  });

  it('LOG_FORMAT: the lines are JSON; text through pino-pretty, and json is no change of setting but of format', () => {
    expect(legacyNotices({ LOG_FORMAT: 'text' }, config)[0]?.message).toBe(
      'LOG_FORMAT=text is not read by this server: it always writes JSON lines (pino, one object per line on stdout). ' +
        'For text, pipe them through pino-pretty where it is installed (a dev dependency: ' +
        '`node dist/src/main.js | npx pino-pretty`, as `npm run dev` does)',
    );
    expect(legacyNotices({ LOG_FORMAT: 'JSON' }, config)[0]?.message).toBe(
      'LOG_FORMAT=JSON is not read by this server: it always writes JSON lines (pino, one object per line on stdout); ' +
        'the old service wrote text lines whatever LOG_FORMAT said, so a parser of its lines must read JSON now',
    );
  });

  it('MAX_QUEUE_SIZE: names the bounds that play its part, with their values now', () => {
    const bounds = loadConfig({ SUBSCRIBER_BUFFER_BYTES: '2048', MAX_PENDING_EVENTS: '500' });
    expect(legacyNotices({ MAX_QUEUE_SIZE: '10000' }, bounds)[0]?.message).toBe(
      'MAX_QUEUE_SIZE=10000 is not read by this server, which has no router queue: the old service held up to that ' +
        'many stored events waiting for its subscribers, and sent none of the events past it. Here each commit goes ' +
        'to its subscribers as it is made; a subscriber whose socket buffer passes SUBSCRIBER_BUFFER_BYTES (2048) ' +
        'catches up from the log instead of losing events, and events waiting for a commit are bounded by ' +
        'MAX_PENDING_EVENTS (500), past which publishes get a retryable error',
    );
  });
});
