import { ALPHABET, cryptoBytes, type RandomBytes } from './prefixedIds.js';

/** Random symbols fixed per generator (78 bits), then the counter: 22 in all, one more than the server's ids. */
const HEAD_CHARS = 13;
/** The producers' counter (the SDK's default); a cluster node's ids take 8, so they have the server's shape. */
export const PRODUCER_COUNTER_CHARS = 9;
export const SERVER_COUNTER_CHARS = 8;
/** The counter's symbols in ASCII order, so later ids sort after earlier ones as strings. */
const SORTED = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';

/**
 * Ids that rise: `${prefix}` + 13 random symbols chosen once per generator + a 9-symbol counter that sorts as it
 * counts (`evt_` + 22 characters of `[A-Za-z0-9_-]`). Hint: a log keeps producer ids in a B-tree keyed by id; random
 * ids land on a different page each, so a commit of n events rewrote about n pages, while one producer's rising ids
 * land on the same few (server appends with random producer ids 27-28 µs per event against 10-12 with rising ones,
 * measured). Another generator's head keeps its ids apart. One symbol longer than the server's own ids (`evt_` + 21),
 * so a log never takes them for ids it made: their resend check reads producer_ids alone. A cluster node makes its
 * own ids with an 8-symbol counter (the server's shape): its replica's id index then grows at a few places, not at
 * every page (appending and indexing 5.4-7.8 against 8.2-16.0 µs per event with random ids, up to 1,000,000).
 */
export function risingIds(
  prefix: string,
  random: RandomBytes = cryptoBytes,
  counterChars = PRODUCER_COUNTER_CHARS,
): () => string {
  let head = '';
  let counter: number[] = [];
  const restart = () => {
    const bytes = random(HEAD_CHARS);
    head = prefix + String.fromCharCode(...Array.from(bytes, (b) => ALPHABET[b & 63]!));
    counter = new Array<number>(counterChars).fill(0);
  };
  restart();
  return () => {
    let tail = '';
    for (const digit of counter) tail += SORTED[digit];
    const id = head + tail;
    let i = counterChars - 1;
    while (i >= 0 && counter[i] === 63) counter[i--] = 0;
    // Hint: after 64^counterChars ids the counter is spent; a new head keeps ids unique (no longer rising across it).
    if (i < 0) restart();
    else counter[i]!++;
    return id;
  };
}
