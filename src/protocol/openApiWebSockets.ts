import { type ResponseHeader, responseHeaders } from './openApiHeaders.js';

/** The WebSocket endpoints, as the AsyncAPI document names its channels' addresses. */
export const WS_ADDRESSES = ['/ws/publish', '/ws/subscribe'] as const;

/** The tag of their operations. */
export const WS_TAG = {
  name: 'websocket',
  description:
    "The WebSocket endpoints' HTTP side; their messages are in the AsyncAPI document at `/asyncapi.json` (rendered at `/docs/ws`). A GET with `Upgrade: websocket` opens the socket; the key goes in `X-API-Key`, `?api_key=`, or the protocols `pipeline` and `pipeline.api-key.<base64url of the key>` in `Sec-WebSocket-Protocol`. A browser's WebSocket cannot read a refused upgrade's status, so a plain GET or HEAD answers the refusal the upgrade would get, marked with `X-Upgrade-Refusal`, else 426",
};

const detail = (text: string) => ({ detail: text });

/** What a plain GET of an endpoint answers, by status: the refusal its upgrade would get, else 426. */
const WS_REFUSALS: Readonly<Record<number, readonly [string, readonly ResponseHeader[], unknown]>> = {
  401: [
    'Missing or wrong API key (only when REQUIRE_AUTH=true)',
    ['WWW-Authenticate', 'X-Upgrade-Refusal'],
    detail('Invalid or missing API key'),
  ],
  403: [
    'A page (an `Origin` header) of an origin CORS_ORIGINS does not list',
    ['X-Upgrade-Refusal'],
    detail('Origin https://evil.example is not allowed (CORS_ORIGINS)'),
  ],
  429: [
    "The client's RATE_LIMIT_QUERY budget is spent (an upgrade is a GET; `Retry-After` says when to retry), or it has MAX_WS_CONNECTIONS_PER_IP sockets open",
    ['Retry-After', 'X-Upgrade-Refusal'],
    detail('rate limit exceeded (RATE_LIMIT_QUERY: 100 per minute per client); retry in 3 s'),
  ],
  503: [
    'Shutting down, or open files near their limit (RLIMIT_NOFILE); `Retry-After: 1`',
    ['Retry-After', 'X-Upgrade-Refusal'],
    detail('server shutting down; retry against the next instance'),
  ],
};

/** The 426 of `path` (as asked, prefix and all: the detail names it). */
function upgradeRequired(path: string): Record<string, unknown> {
  return {
    description:
      'A plain request (no `Upgrade: websocket`) that passes every check an upgrade would meet: connect with a WebSocket client. Also the answer to any method but GET and HEAD',
    headers: responseHeaders(['Upgrade']),
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/Error' },
        example: detail(`${path} is a WebSocket endpoint: connect with a WebSocket client`),
      },
    },
  };
}

/** `components.responses` of the WebSocket endpoints' refusals (`WsE401` …). */
export function wsResponseComponents(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, [description, headers, example]] of Object.entries(WS_REFUSALS)) {
    out[`WsE${status}`] = {
      description,
      headers: responseHeaders(headers),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example } },
    };
  }
  return out;
}

/**
 * The path item of the endpoint at `path`: `address` under a prefix, or itself (`aliasOf` then undefined);
 * `operationId` as the REST operations make theirs.
 */
export function wsPathItem(
  address: string,
  path: string,
  operationId: string,
  aliasOf?: string,
): Record<string, unknown> {
  const responses: Record<string, unknown> = {
    101: { description: 'Switching Protocols: the socket is open (a request with `Upgrade: websocket`)' },
  };
  for (const status of Object.keys(WS_REFUSALS)) responses[status] = { $ref: `#/components/responses/WsE${status}` };
  responses[426] = upgradeRequired(path);
  responses[500] = { $ref: '#/components/responses/E500' };
  const same = aliasOf === undefined ? '' : `The same endpoint as \`${aliasOf}\`, under the versioned prefix. `;
  const get = {
    operationId,
    summary: `${address === '/ws/publish' ? 'Publish' : 'Subscribe'} over a WebSocket`,
    description: `${same}A GET with \`Upgrade: websocket\` opens the socket; a plain GET or HEAD answers the refusal the upgrade would get, else 426.`,
    tags: [WS_TAG.name],
    parameters: [],
    responses,
    security: [{ ApiKey: [] }, { ApiKeyQuery: [] }],
    ...(aliasOf === undefined ? {} : { 'x-alias-of': aliasOf }),
  };
  return { description: 'OPTIONS answers 204 (a CORS preflight); any other method but GET and HEAD answers 426', get };
}
