/**
 * Limits of a `/ws/publish` connection that a producer must know about. Pure and import-free: the client SDK shares
 * them with the server.
 */

/**
 * The largest message a server of this project takes at its default settings. Hint: past it uWS closes the
 * connection without a reply (1006 or 1009), so a client resending such a message would only be closed again.
 */
export const WS_HARD_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Invalid messages a producer may send per 10 s window before its connection is closed (1008). */
export const INVALID_MESSAGES = 1_000;

/**
 * The text that starts the notice and close reason of a producer closed for too many invalid messages. Hint: the
 * notice has no `ref`: it answers no message, so it is no verdict on the messages still awaiting their answer.
 */
export const TOO_MANY_INVALID_MESSAGES = 'too many invalid messages';
