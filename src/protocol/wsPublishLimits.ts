/**
 * Limits of a `/ws/publish` connection that a producer must know about. Pure and import-free: the client SDK shares
 * them with the server.
 */

/** The settings that bound a server's per-message cap (its Config fields of the same names). */
export interface WsMessageCapSettings {
  readonly maxWsMessageBytes: number;
  readonly maxBodyBufferBytesPerIp: number;
  readonly maxWsConnectionsPerIp: number;
}

/** The most bytes uWS can take in one message: its maxPayloadLength is a signed 32-bit integer. */
export const WS_MESSAGE_CAP_CEILING = 2 ** 31 - 1;

/**
 * The largest WebSocket message a server takes (uWS's maxPayloadLength): MAX_BODY_BUFFER_BYTES_PER_IP /
 * MAX_WS_CONNECTIONS_PER_IP, or MAX_WS_MESSAGE_BYTES when larger. Hint: past it uWS closes the connection without a
 * close frame or a reply (1006), so a client that resends such a message is only closed again; up to it, a message
 * over MAX_WS_MESSAGE_BYTES gets the server's "too large" reply.
 */
export function wsMessageCap(settings: WsMessageCapSettings): number {
  const share = Math.floor(settings.maxBodyBufferBytesPerIp / settings.maxWsConnectionsPerIp);
  return Math.min(WS_MESSAGE_CAP_CEILING, Math.max(settings.maxWsMessageBytes, share));
}

/**
 * wsMessageCap at a server's default settings, 3,355,443 bytes (3.2 MiB): the SDK's default `maxMessageBytes`.
 * Hint: the defaults are settings.ts's fallbacks, repeated because the SDK cannot load the server's settings;
 * test/clientMessageCap.test.ts holds this equal to a default server's cap.
 */
export const DEFAULT_WS_MESSAGE_CAP_BYTES = wsMessageCap({
  maxWsMessageBytes: 1_048_576,
  maxBodyBufferBytesPerIp: 67_108_864,
  maxWsConnectionsPerIp: 20,
});

/** Invalid messages a producer may send per 10 s window before its connection is closed (1008). */
export const INVALID_MESSAGES = 1_000;

/**
 * The text that starts the notice and close reason of a producer closed for too many invalid messages. Hint: the
 * notice has no `ref`: it answers no message, so it is no verdict on the messages still awaiting their answer.
 */
export const TOO_MANY_INVALID_MESSAGES = 'too many invalid messages';
