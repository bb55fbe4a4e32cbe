/**
 * Limits of a `/ws/publish` connection that a producer must know about. Pure and import-free: the client SDK shares
 * them with the server.
 */

/**
 * The largest message the SDK sends (a larger event is refused with a RangeError). Hint: a server closes a message
 * past its own cap without a reply (1006): the larger of MAX_WS_MESSAGE_BYTES and MAX_BODY_BUFFER_BYTES_PER_IP /
 * MAX_WS_CONNECTIONS_PER_IP, 3.2 MiB at its defaults. So this is the ceiling for a server that raised
 * MAX_WS_MESSAGE_BYTES up to it, not a default server's cap; a client resending such a message is only closed again.
 */
export const WS_HARD_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Invalid messages a producer may send per 10 s window before its connection is closed (1008). */
export const INVALID_MESSAGES = 1_000;

/**
 * The text that starts the notice and close reason of a producer closed for too many invalid messages. Hint: the
 * notice has no `ref`: it answers no message, so it is no verdict on the messages still awaiting their answer.
 */
export const TOO_MANY_INVALID_MESSAGES = 'too many invalid messages';
