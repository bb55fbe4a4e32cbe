import { isIP } from 'node:net';

/** Who sent a request, once a trusted proxy's forwarding headers are taken into account. */
export interface ClientAddress {
  /** The client's address: the peer's own, or the one a trusted proxy forwarded. */
  readonly ip: string;
  /** True when the request reached us (or the trusted proxy in front of us) over https. */
  readonly https: boolean;
}

/** An IPv6 address in its canonical short form ("0000:…:0001" → "::1"); anything else as it is. */
function canonicalIpv6(text: string): string {
  if (isIP(text) !== 6) return text;
  try {
    // Hint: the WHATWG URL parser writes IPv6 hosts in RFC 5952 form; a zone id ("%eth0") makes it throw.
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return text;
  }
}

/**
 * "::ffff:127.0.0.1" → "127.0.0.1" and "0000:…:0001" → "::1", so TRUST_PROXY entries and per-IP limits match
 * however the socket or a proxy spells an address (uWS prints IPv6 peers as eight zero-padded groups).
 */
export function normalizeAddress(address: string): string {
  const text = canonicalIpv6(address.trim().toLowerCase());
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) return dotted[1]!;
  // Hint: uWS may print a mapped IPv4 peer in hex groups ("…:ffff:7f00:0001").
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (!hex) return text;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** TRUST_PROXY's entries, normalized once per list (a request only normalizes its own addresses). */
const trustSets = new WeakMap<readonly string[], ReadonlySet<string>>();

function trustSet(trusted: readonly string[]): ReadonlySet<string> {
  let set = trustSets.get(trusted);
  if (set === undefined) {
    set = new Set(trusted.map(normalizeAddress));
    trustSets.set(trusted, set);
  }
  return set;
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
  const trust = trustSet(trusted);
  if (!trust.has(ip) && !trust.has('*')) return { ip, https: false };
  const hops = forwardedFor
    .split(',')
    .map(normalizeAddress)
    .filter((hop) => hop !== '');
  let client = ip;
  for (let i = hops.length - 1; i >= 0; i--) {
    // Hint: a hop that is not an address ends the walk at the last one that is: keys and log lines stay addresses.
    if (isIP(hops[i]!) === 0) break;
    client = hops[i]!;
    if (!trust.has(client)) break;
  }
  // Hint: the rightmost scheme is the one the trusted proxy in front of us added; entries left of it are the client's.
  const proto = forwardedProto.split(',').at(-1)?.trim().toLowerCase() ?? '';
  return { ip: client, https: proto === 'https' };
}

/**
 * The key a client's rate limits count under: its address, or for IPv6 its /64 network. Why: a host is given a
 * whole /64 and can send from any of its 2^64 addresses, each of which would otherwise get a fresh budget (and a
 * new entry in the limiter's table).
 */
export function rateKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const groups = head === '' ? [] : head.split(':');
  // Hint: "::" stands for as many zero groups as make eight; only the first four matter.
  const tailGroups = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const full = [...groups, ...Array(8 - groups.length - tailGroups.length).fill('0'), ...tailGroups];
  const prefix = full.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, ''));
  return `${prefix.join(':')}::/64`;
}
