import type * as UwsTypes from 'uWebSockets.js';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';

/** A failure to listen again is logged at first, then once in this many tries (one a sweep, every second). */
const FAILURE_LINE_EVERY = 60;

/** Listen on `host`:`port` exclusively (not uWS's default SO_REUSEPORT, so a second server is refused, not let in). */
function listenOn(app: TemplatedApp, uws: typeof UwsTypes, host: string, port: number) {
  return new Promise<us_listen_socket | false>((resolve) =>
    app.listen(host, port, uws.LIBUS_LISTEN_EXCLUSIVE_PORT, resolve),
  );
}

/**
 * The server's listening socket, closed while it must not accept connections and opened again after (FdWatch's
 * `accepting`). Why: at RLIMIT_NOFILE uWS's accept loop retries the pending connection for ever (EMFILE leaves it in
 * the backlog) and new clients hang; with no listening socket the kernel refuses them at once, and what is open is
 * served. The same port is taken again (the one bound first, also when PORT=0).
 */
export class ListenGate {
  private opening = false;
  private stopped = false;
  private failures = 0;

  private constructor(
    private readonly app: TemplatedApp,
    private readonly uws: typeof UwsTypes,
    private readonly host: string,
    readonly port: number,
    private readonly logger: Logger,
    private socket: us_listen_socket | null,
  ) {}

  /** The gate, listening; null when the address cannot be bound. */
  static async listen(
    app: TemplatedApp,
    uws: typeof UwsTypes,
    host: string,
    port: number,
    logger: Logger,
  ): Promise<ListenGate | null> {
    const socket = await listenOn(app, uws, host, port);
    if (socket === false) return null;
    return new ListenGate(app, uws, host, uws.us_socket_local_port(socket), logger, socket);
  }

  /** Close or open the listening socket to match `accepting` (each sweep asks). */
  sync(accepting: boolean): void {
    if (this.stopped || this.opening) return;
    if (!accepting && this.socket !== null) {
      this.uws.us_listen_socket_close(this.socket);
      this.socket = null;
    } else if (accepting && this.socket === null) {
      this.opening = true;
      void listenOn(this.app, this.uws, this.host, this.port).then((socket) => this.opened(socket));
    }
  }

  /** Stop accepting for good (shutdown). */
  close(): void {
    this.stopped = true;
    if (this.socket !== null) this.uws.us_listen_socket_close(this.socket);
    this.socket = null;
  }

  private opened(socket: us_listen_socket | false): void {
    this.opening = false;
    if (socket !== false && this.stopped) return void this.uws.us_listen_socket_close(socket);
    if (socket !== false) {
      this.socket = socket;
      if (this.failures > 0) this.logger.info({ port: this.port, tries: this.failures + 1 }, 'listening again');
      this.failures = 0;
      return;
    }
    if (this.failures++ % FAILURE_LINE_EVERY === 0)
      this.logger.error(
        { host: this.host, port: this.port, tries: this.failures },
        'cannot listen again on the port (taken by another process?); no new connection is accepted; retried every second',
      );
  }
}
