import type { NatsConnection } from '@nats-io/transport-node';

/**
 * A node's NATS connection as the node knows it: up or down, and to which server, with a log line at each change.
 * Why: a probe saw no line when a node lost or regained NATS, nor which server it was on; the reason showed only in
 * /readiness.
 */
export class NatsConnectionState {
  private up = true;
  private lostAt = 0;
  private lastServer: string;

  constructor(
    private readonly nc: NatsConnection,
    private readonly onNotice: (message: string) => void = () => undefined,
    /** Called at each reconnect (the consumer is made again from the replica's position). */
    private readonly onReconnect: () => void,
    private readonly now: () => number = Date.now,
  ) {
    this.lastServer = nc.getServer();
    void this.watch();
  }

  /** False from a disconnect until the client reconnected (to any server of NATS_URL). */
  get connected(): boolean {
    return this.up;
  }

  /** The server this node is (or was last) connected to, `host:port`. */
  get server(): string {
    return this.lastServer;
  }

  /** Why publishes are refused while disconnected (nothing is sent then), or null when connected. */
  get refusal(): string | null {
    return this.up ? null : `${this.lost()}; nothing was sent, retry`;
  }

  /** Why /readiness answers 503 while disconnected, or null when connected. */
  get unreachable(): string | null {
    return this.up ? null : `${this.lost()}; reads are served`;
  }

  private lost(): string {
    return `the NATS cluster is unreachable (disconnected from ${this.lastServer}, reconnecting)`;
  }

  private async watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect' && this.up) {
        this.up = false;
        this.lostAt = this.now();
        this.lastServer = status.server;
        this.onNotice(
          `NATS connection to ${status.server} lost; reconnecting to any server of NATS_URL (publishes are refused ` +
            'at once, reads are served)',
        );
      }
      if (status.type === 'reconnect') {
        const seconds = ((this.now() - this.lostAt) / 1_000).toFixed(1);
        this.up = true;
        this.lastServer = status.server;
        this.onNotice(`NATS connection restored: connected to ${status.server} after ${seconds} s`);
        this.onReconnect();
      }
    }
  }
}
