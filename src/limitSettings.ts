import type { Setting } from './settings.js';

/** The settings that bound input, memory, rates and actors, in the order the README's table lists them. */
export const LIMIT_SETTINGS: readonly Setting[] = [
  {
    name: 'MAX_PAYLOAD_KEYS',
    fallback: '50',
    meaning: 'Max keys in an event payload',
    range: { min: 1 },
  },
  {
    name: 'MAX_PAYLOAD_BYTES',
    fallback: '65536',
    meaning: 'Max serialized payload size',
    range: { min: 2 },
  },
  {
    name: 'MAX_BODY_BYTES',
    fallback: '10485760',
    meaning: 'REST request body limit (413 above it)',
    range: { min: 1_024 },
  },
  {
    name: 'MAX_BODY_BUFFER_BYTES',
    fallback: '268435456',
    meaning:
      'Request body bytes received and not yet answered, every `POST /events` together; a body that would pass it ' +
      'gets a retryable 503 with `Retry-After` (200 bodies stalled one byte short of 10 MiB once held 2.1 GB); at ' +
      'least `MAX_BODY_BYTES`, so one body fits',
    range: { min: 1_024 },
  },
  {
    name: 'MAX_BODY_BUFFER_BYTES_PER_IP',
    fallback: '67108864',
    meaning:
      'The same bytes from one client address, for bodies that arrive in pieces (at least `MAX_BODY_BYTES`); a body ' +
      "that would pass it gets 429 with `Retry-After`, so one address cannot take the whole `MAX_BODY_BUFFER_BYTES`; divided by `MAX_WS_CONNECTIONS_PER_IP`, also uWS's per-message cap for WebSocket messages (a cap below 3,355,443 bytes, the SDK's default `maxMessageBytes`, wants that lowered to match)",
    range: { min: 1_024 },
  },
  {
    name: 'MAX_JSON_DEPTH',
    fallback: '32',
    meaning:
      'Deepest JSON nesting of an event (the event object is level 1, its payload level 2), over REST and WebSocket in every form; a deeper event is refused (422 over REST) naming the field',
    // Hint: the checks and copies of an accepted event recurse once per level; with MAX_JSON_DEPTH=100000 a 5,000-deep
    // payload overflowed the stack in them and got a 500 (4,000 still passed, measured): 1,000 keeps a margin of four.
    range: { min: 1, max: 1_000 },
  },
  {
    name: 'RATE_LIMIT_PUBLISH',
    fallback: 'off',
    meaning:
      "Per client IP (an IPv6 client per /64 network), in the old service's (slowapi's) notation: `1000/minute`, " +
      '`100 per minute`, `50/second`, `5/2minutes` (5 per 2 minutes); units `second`, `minute`, `hour`, `day`, ' +
      '`month` (30 days) or `year` (360 days), singular or plural, any case. Several limits separated by a semicolon, comma ' +
      'or bar (`200/minute;5000/hour`) are all enforced: a request over any one is refused, its `Retry-After` from that ' +
      'one. A bare count (`1000`) is per minute, as the old defaults were; a multiple of 0 (`5/0minutes`) counts as 1, ' +
      'as slowapi read it. N per second means N in each second; `0/minute` refuses every request, as in the old service. Covers ' +
      '`POST /events` and `/ws/publish` messages; requests refused for a wrong API key count too; unset, `0` or `off` ' +
      "= no limit, the default here (the old service's was `200/minute`)",
  },
  {
    name: 'RATE_LIMIT_QUERY',
    fallback: 'off',
    meaning:
      "Same, for GET endpoints and WebSocket upgrades (each connection to `/ws/publish` or `/ws/subscribe` is one GET); not for `/health`, `/readiness`, `/event-types` (as in the old service), the API documents, the dashboard files or `/metrics` with its key, though a wrong key on `/metrics` counts (the old service's default was `600/minute`)",
  },
  {
    name: 'RATE_LIMIT_ADMIN',
    fallback: 'off',
    meaning: "Same, for DELETE /events (the old service's default was `10/minute`)",
  },
  {
    name: 'TRUST_PROXY',
    fallback: '127.0.0.1,::1',
    meaning:
      'Comma-separated proxy IP addresses whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (client address for limits and logs, https for HSTS); empty = trust none',
  },
  {
    name: 'MAX_WS_MESSAGE_BYTES',
    fallback: '1048576',
    meaning:
      "WebSocket message limit; larger messages get an error reply and the connection stays open, except a subscribe message, which is refused and the connection closed with 1008 like any refused subscribe message, and a message past uWS's cap (`MAX_BODY_BUFFER_BYTES_PER_IP` / `MAX_WS_CONNECTIONS_PER_IP`, 3.2 MiB at the defaults, or this if larger), which uWS closes (1006) (any integer ≥ 0); the SDK refuses a message over its `maxMessageBytes` (default 3,355,443 bytes, the cap at the defaults; the CLI's `--max-message-bytes`), so past that, set it to this",
    range: { min: 0 },
  },
  {
    name: 'MAX_ACK_BACKLOG_BYTES',
    fallback: '134217728',
    meaning:
      'Unread `/ws/publish` acks held per producer (bytes) before it is closed with 4009 naming the last offset acked',
    range: { min: 1_024 },
  },
  {
    name: 'MAX_ACK_BACKLOG_TOTAL_BYTES',
    fallback: '536870912',
    meaning:
      'Unread `/ws/publish` acks held for all producers together (bytes); past it, the largest producer of the client ' +
      'address holding the most is closed with 4009 (45 producers that stopped reading, from three addresses, once ' +
      'took the server past its heap)',
    range: { min: 1_024 },
  },
  {
    name: 'MAX_WS_CONNECTIONS_PER_IP',
    fallback: '20',
    meaning:
      "Concurrent WebSocket connections per client address; with uWS's per-message cap (`MAX_BODY_BUFFER_BYTES_PER_IP` / this) it bounds what one address's unfinished messages hold to `MAX_BODY_BUFFER_BYTES_PER_IP` (raised past 20, the cap falls below the SDK's default `maxMessageBytes`: lower that to match)",
    range: { min: 1 },
  },
  {
    name: 'MAX_HTTP_STREAMS_PER_IP',
    fallback: '8',
    meaning:
      'Answers still being sent per client address: `GET /events` answers from their start (one over about 1 MiB goes out a piece at a time, as the client reads it), and any other answer the socket could not take at once; one more `GET /events`, or any other answer over 64 KiB, gets 429 with `Retry-After`',
    range: { min: 1 },
  },
  {
    name: 'MAX_SUBSCRIBERS',
    fallback: '5000',
    meaning: 'Concurrent subscribers (`0` = none)',
    range: { min: 0 },
  },
  {
    name: 'MAX_PENDING_EVENTS',
    fallback: '100000',
    meaning: 'Events waiting for the next group commit before publishes get a retryable error',
    range: { min: 1 },
  },
  {
    name: 'MAX_PENDING_BYTES',
    fallback: '134217728',
    meaning:
      'Payload bytes (as JSON) of the events waiting for the next group commit before publishes get a retryable error',
    range: { min: 1 },
  },
  {
    name: 'SUBSCRIBER_BUFFER_BYTES',
    fallback: '1048576',
    meaning: 'Socket buffer above which a subscriber stops getting live pushes and catches up from the log',
    range: { min: 1_024 },
  },
  {
    name: 'MAX_SUBSCRIBER_BUFFER_TOTAL_BYTES',
    fallback: '536870912',
    meaning:
      'Socket buffers of all subscribers together (bytes): each subscriber is held to `SUBSCRIBER_BUFFER_BYTES` or an ' +
      'equal share of this among the subscribers open, whichever is smaller (never under 16 KiB), and catches up from ' +
      'the log past it (1,000 firehose subscribers that stopped reading once held 1.9 GB)',
    range: { min: 1_024 },
  },
  {
    name: 'SLOW_CONSUMER_TIMEOUT_MS',
    fallback: '30000',
    meaning: 'How long a subscriber may stay stuck before it is closed with 4008',
    range: { min: 1 },
  },
  {
    name: 'KEEPALIVE_MS',
    fallback: '30000',
    meaning: 'Idle time before `{"type":"keepalive"}`',
    range: { min: 1 },
  },
  {
    name: 'CHECKPOINT_MS',
    fallback: '5000',
    meaning: 'Interval of `{"type":"checkpoint"}` for subscribers that opted in',
    range: { min: 1 },
  },
  {
    name: 'SESSION_IDLE_MS',
    fallback: '60000',
    meaning: 'Session actors idle this long are passivated (rebuilt from the log on next use)',
    range: { min: 1 },
  },
  {
    name: 'MAX_ACTIVE_SESSIONS',
    fallback: '10000',
    // Hint: "50" is COLD_PER_ACTIVE (src/actors/coldStatuses.ts), written out so --help loads no actor code; a test
    // holds the two together.
    meaning:
      'Session actors kept in memory at most (least recently used are passivated); the statuses of 50 times as many ' +
      'passivated sessions are remembered (about 82 bytes each), so their new records fold without an actor. A ' +
      'session past both rebuilds from the log at its next record: with more sessions than that receiving events at ' +
      'once, raise it (see "Session actors" under Architecture)',
    range: { min: 1 },
  },
];
