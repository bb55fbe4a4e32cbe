/** Who sent a request, once a trusted proxy's forwarding headers are taken into account. */
export interface ClientAddress {
  /** The client's address: the peer's own, or the one a trusted proxy forwarded. */
  readonly ip: string;
  /** True when the request reached us (or the trusted proxy in front of us) over https. */
  readonly https: boolean;
}

/** "::ffff:127.0.0.1" → "127.0.0.1", so TRUST_PROXY entries match however the socket reports IPv4 peers. */
export function normalizeAddress(address: string): string {
  const text = address.trim().toLowerCase();
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) return dotted[1]!;
  // Hint: uWS may print a mapped IPv4 peer in hex groups ("…:ffff:7f00:0001").
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (!hex) return text;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * The client address and scheme. Forwarding headers count only when the peer is a trusted proxy; then the client
 * is the rightmost X-Forwarded-For entry that is not itself a trusted proxy (entries further left are client-supplied
 * and could be forged).
 */
export function clientAddress(
  peer: string,
  forwardedFor: string,
  forwardedProto: string,
  trusted: readonly string[],
): ClientAddress {
  const ip = normalizeAddress(peer);
  const trust = new Set(trusted.map(normalizeAddress));
  if (!trust.has(ip) && !trust.has('*')) return { ip, https: false };
  const hops = forwardedFor
    .split(',')
    .map(normalizeAddress)
    .filter((hop) => hop !== '');
  let client = ip;
  for (let i = hops.length - 1; i >= 0; i--) {
    client = hops[i]!;
    if (!trust.has(client)) break;
  }
  const proto = forwardedProto.split(',')[0]?.trim().toLowerCase() ?? '';
  return { ip: client, https: proto === 'https' };
}
