import type { Logger } from '../actors/logger.js';
import { LogCorruptError } from '../persistence/eventLog.js';
import { RetentionOvertookError } from '../protocol/queryPages.js';

/** The one error type REST handlers throw; the central handler turns it into `{detail}` with its status. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly detail: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
}

const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * The `detail` of a 500 for an error no handler expected: no internals, except that a damaged page of the log (no bug
 * of the server) is named with its file and the way out.
 */
export function internalDetail(error: unknown): string {
  return error instanceof LogCorruptError ? error.message : 'Internal server error';
}

/** "201 Created" for uWS writeStatus. */
export function statusLine(status: number): string {
  return `${status} ${REASONS[status] ?? 'Unknown'}`;
}

/**
 * Log a reply cut after its status was sent. Hint: retention overtaking a long answer is expected under load, and the
 * cut tells the client (asked again, the answer names where the log now starts), so it is no error.
 */
export function logCutReply(logger: Logger, path: string, error: unknown): void {
  if (error instanceof RetentionOvertookError) logger.info({ path, reason: error.message }, 'REST response cut');
  else logger.error({ err: error, path }, 'REST response failed after its status');
}
