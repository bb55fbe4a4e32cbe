/** Which bound a body's next bytes would pass, named by its setting. */
export type BodyRefusal = 'MAX_BODY_BUFFER_BYTES' | 'MAX_BODY_BUFFER_BYTES_PER_IP';

/**
 * Request body bytes received and not yet answered, for every POST together (MAX_BODY_BUFFER_BYTES) and per client
 * address (MAX_BODY_BUFFER_BYTES_PER_IP). Why: each body may be MAX_BODY_BYTES and uWS keeps a connection that sends
 * a byte now and then, so 200 bodies stalled one byte short held 2.1 GB; without a total, enough of them exhaust the
 * machine's memory, and without a share per address, one address takes the whole total from the others.
 */
export class BodyBudget {
  private used = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(
    readonly limit: number,
    readonly perAddress: number,
  ) {}

  /** Bytes held now, every address together. */
  get bytes(): number {
    return this.used;
  }

  /**
   * Take `bytes` for `address` (null: charged to the total alone): null, or (taking nothing) the bound they would
   * pass, the address's first.
   */
  take(address: string | null, bytes: number): BodyRefusal | null {
    const held = address === null ? 0 : (this.byAddress.get(address) ?? 0);
    if (held + bytes > this.perAddress) return 'MAX_BODY_BUFFER_BYTES_PER_IP';
    if (this.used + bytes > this.limit) return 'MAX_BODY_BUFFER_BYTES';
    this.used += bytes;
    if (address !== null) this.byAddress.set(address, held + bytes);
    return null;
  }

  /** Give back `bytes` that `address` took (an address's entry goes with its last byte). */
  give(address: string | null, bytes: number): void {
    if (bytes === 0) return;
    this.used -= bytes;
    if (address === null) return;
    const left = (this.byAddress.get(address) ?? bytes) - bytes;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }

  /** Bytes `address` holds now. */
  heldBy(address: string): number {
    return this.byAddress.get(address) ?? 0;
  }
}
