/**
 * An API key carried in a WebSocket subprotocol. Hint: browsers cannot set headers on a WebSocket upgrade, and a key
 * in the URL's query reaches proxies' access logs and browser history; `Sec-WebSocket-Protocol` reaches neither.
 * The client offers two protocols, `pipeline` and `pipeline.api-key.<base64url of the key's UTF-8>`, and the server
 * answers with `pipeline`, so the key is never sent back. Runs in browsers too (the dashboard imports it).
 */

/** The protocol the server answers with. */
export const WS_PROTOCOL = 'pipeline';

/** The prefix of the protocol that carries the key. */
export const WS_KEY_PROTOCOL_PREFIX = 'pipeline.api-key.';

/** The protocols a client offers to send `apiKey`: base64url keeps any key within a protocol name's characters. */
export function keyProtocols(apiKey: string): string[] {
  let binary = '';
  for (const byte of new TextEncoder().encode(apiKey)) binary += String.fromCharCode(byte);
  const encoded = btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  return [WS_PROTOCOL, WS_KEY_PROTOCOL_PREFIX + encoded];
}

/** What an upgrade's `Sec-WebSocket-Protocol` offers: the protocol to answer with ('' for none) and a carried key. */
export interface OfferedProtocols {
  readonly answer: string;
  /** The key the first key protocol carries; null when none is offered or its text is not base64url. */
  readonly apiKey: string | null;
}

/**
 * Read an offer list such as `pipeline, pipeline.api-key.c2VjcmV0`. The answer is the first offer that carries no
 * key (a client offering only the key protocol gets that one back: it is its own header, and any other answer fails
 * its handshake).
 */
export function readOfferedProtocols(header: string): OfferedProtocols {
  const offers = header
    .split(',')
    .map((offer) => offer.trim())
    .filter((offer) => offer !== '');
  const carrier = offers.find((offer) => offer.startsWith(WS_KEY_PROTOCOL_PREFIX));
  const answer = offers.find((offer) => !offer.startsWith(WS_KEY_PROTOCOL_PREFIX)) ?? carrier ?? '';
  return { answer, apiKey: carrier === undefined ? null : decodedKey(carrier.slice(WS_KEY_PROTOCOL_PREFIX.length)) };
}

function decodedKey(encoded: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return null;
  try {
    const binary = atob(encoded.replaceAll('-', '+').replaceAll('_', '/'));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
