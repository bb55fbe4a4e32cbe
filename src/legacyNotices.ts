// The old service's variables this server does not read, each answered at start with what it does instead.
import type { Config } from './config.js';

/** One warning line for a variable of the old service that is set here and not read. */
export interface LegacyNotice {
  readonly variable: 'DEBUG' | 'LOG_FORMAT' | 'MAX_QUEUE_SIZE';
  readonly message: string;
}

/** DEBUG: the old service passed `DEBUG == "true"` (any case, nothing else) to FastAPI as its debug mode. */
function debugNotice(value: string, config: Config): string {
  // Hint: not mapped to LOG_LEVEL=debug: FastAPI's debug mode only put the traceback into 500 answers; the old
  // service's log level came from LOG_LEVEL alone, so a drop-in keeps the level it is given.
  if (value.toLowerCase() !== 'true')
    return `DEBUG=${value} is not read by this server; the old service's debug mode was off with it, as here (no stack trace in an answer), so it can go`;
  return (
    `DEBUG=${value} is not read by this server: in the old service it made a 500 answer carry the Python traceback, ` +
    'and left the log level alone; here a 500 never carries a stack trace and is logged with its stack at error ' +
    `level. For more log lines set LOG_LEVEL=debug (it is ${config.logLevel})`
  );
}

/** LOG_FORMAT: the old service defined it ("text" or "json") but read it nowhere; its lines were always text. */
function logFormatNotice(value: string): string {
  const always = `LOG_FORMAT=${value} is not read by this server: it always writes JSON lines (pino, one object per line on stdout)`;
  if (value.toLowerCase() === 'json')
    return `${always}; the old service wrote text lines whatever LOG_FORMAT said, so a parser of its lines must read JSON now`;
  return (
    `${always}. For text, pipe them through pino-pretty where it is installed (a dev dependency: ` +
    '`node dist/src/main.js | npx pino-pretty`, as `npm run dev` does)'
  );
}

/** MAX_QUEUE_SIZE: the old router's queue of stored events waiting for the subscribers (full: not sent live). */
function maxQueueSizeNotice(value: string, config: Config): string {
  return (
    `MAX_QUEUE_SIZE=${value} is not read by this server, which has no router queue: the old service held up to that ` +
    'many stored events waiting for its subscribers, and sent none of the events past it. Here each commit goes to ' +
    'its subscribers as it is made; a subscriber whose socket buffer passes SUBSCRIBER_BUFFER_BYTES ' +
    `(${config.subscriberBufferBytes}) catches up from the log instead of losing events, and events waiting for a ` +
    `commit are bounded by MAX_PENDING_EVENTS (${config.maxPendingEvents}), past which publishes get a retryable error`
  );
}

/**
 * One warning per variable of the old service that is set (not blank) and that this server does not read: DEBUG,
 * LOG_FORMAT and MAX_QUEUE_SIZE, saying what it does instead. Hint: never silently ignored, as a drop-in's operator
 * would otherwise believe them in force.
 */
export function legacyNotices(env: NodeJS.ProcessEnv, config: Config): LegacyNotice[] {
  const notices: LegacyNotice[] = [];
  const set = (name: LegacyNotice['variable']) => {
    const value = env[name]?.trim() ?? '';
    return value === '' ? null : value;
  };
  const debug = set('DEBUG');
  if (debug !== null) notices.push({ variable: 'DEBUG', message: debugNotice(debug, config) });
  const logFormat = set('LOG_FORMAT');
  if (logFormat !== null) notices.push({ variable: 'LOG_FORMAT', message: logFormatNotice(logFormat) });
  const maxQueueSize = set('MAX_QUEUE_SIZE');
  if (maxQueueSize !== null)
    notices.push({ variable: 'MAX_QUEUE_SIZE', message: maxQueueSizeNotice(maxQueueSize, config) });
  return notices;
}
