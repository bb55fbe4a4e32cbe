/**
 * A count of things held per client address with a bound (MAX_HTTP_STREAMS_PER_IP: answers still being sent). Hint:
 * an answer a client stops reading holds about a piece (1 MiB) and uWS's unsent copy of it until the idle timeout;
 * measured 1.6-1.8 MB of server RSS each (100 such `GET /events` from one address: 201 -> 378 MB), so an unbounded
 * count let one client take the server's memory.
 */
export class AddressBudget {
  private readonly held = new Map<string, number>();
  private count = 0;

  constructor(readonly limit: number) {}

  /** Take one for `address`: its release (idempotent), or null when the address holds `limit` already. */
  take(address: string): (() => void) | null {
    if (this.heldBy(address) >= this.limit) return null;
    return this.add(address);
  }

  /** Count one for `address` however many it holds (one already under way, past its check): its release (idempotent). */
  add(address: string): () => void {
    this.held.set(address, this.heldBy(address) + 1);
    this.count++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.count--;
      const left = (this.held.get(address) ?? 1) - 1;
      if (left > 0) this.held.set(address, left);
      else this.held.delete(address);
    };
  }

  /** How many `address` holds. */
  heldBy(address: string): number {
    return this.held.get(address) ?? 0;
  }

  /** How many all addresses hold together. */
  get total(): number {
    return this.count;
  }

  /** Addresses holding any (each address's entry goes when its last is released). */
  get addresses(): number {
    return this.held.size;
  }
}
