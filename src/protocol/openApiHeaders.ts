import { FIRST_AVAILABLE_HEADER } from './eventQuery.js';
import { IGNORED_FIELDS_HEADER } from './publishMessage.js';
import { IGNORED_PARAMS_HEADER } from './queryParams.js';
import { UPGRADE_REFUSAL_HEADER, UPGRADE_REFUSAL_MARK } from './upgradeRefusal.js';

// Hint: named by the constants the server sends them with, so a renamed header renames its documentation.

const text = (description: string) => ({ description, schema: { type: 'string' } });

/** Every response header the document declares (`components.headers`), by name. */
export const RESPONSE_HEADERS = {
  'X-Request-Id': text(
    "The request's id, as log lines name it: the caller's own X-Request-Id when it is 1-128 of [A-Za-z0-9._:/+=@-], else a fresh one. Sent with every answer but a failure before the request could be read",
  ),
  [IGNORED_PARAMS_HEADER]: text(
    'Query parameters this operation does not read (so a misspelt filter is visible), each percent-encoded, comma-separated; at most 10, then `...`. Absent when there are none',
  ),
  [IGNORED_FIELDS_HEADER]: text(
    'Fields of the published events that no rule reads (accepted, not stored), each percent-encoded, comma-separated; at most 10, then `...`. Absent when there are none',
  ),
  [FIRST_AVAILABLE_HEADER]: {
    description:
      'The first stored offset, when retention deleted part of the range asked for (`after_offset` + 1, or 1, below it). Absent otherwise',
    schema: { type: 'integer', minimum: 1 },
  },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
  'Accept-Encoding': {
    description: 'The content codings a body may have, sent when a compressed one was refused',
    schema: { const: 'identity' },
  },
  Allow: text("The path's methods, e.g. `GET, HEAD, POST, DELETE, OPTIONS`"),
  'WWW-Authenticate': { description: 'The scheme: the key goes in `X-API-Key`', schema: { const: 'ApiKey' } },
  Upgrade: { description: 'The protocol to upgrade to', schema: { const: 'websocket' } },
  [UPGRADE_REFUSAL_HEADER]: {
    description:
      "Marks the answer as this server's refusal of the upgrade (a proxy's own answer lacks it), as the SDK reads it",
    schema: { const: UPGRADE_REFUSAL_MARK },
  },
} as const;

/** A declared response header. */
export type ResponseHeader = keyof typeof RESPONSE_HEADERS;

/** The `headers` of a response carrying `names`, and X-Request-Id, which every answer carries. */
export function responseHeaders(names: readonly ResponseHeader[] = []): Record<string, { $ref: string }> {
  const out: Record<string, { $ref: string }> = {};
  for (const name of ['X-Request-Id' as const, ...names]) out[name] = { $ref: `#/components/headers/${name}` };
  return out;
}
