import { createServer } from 'node:net';

/** Why a listen failed, as far as a probe with node:net can tell; `variable` names the setting to change, if one is at fault. */
export interface ListenFailure {
  readonly reason: string;
  /** HOST or PORT when the configuration is at fault (not an address of this machine, a privileged port); null when another process holds the port. */
  readonly variable: 'HOST' | 'PORT' | null;
}

function probe(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/** uWS only says "false" when it cannot listen; bind the same address with node:net to learn the reason. */
export async function explainListenFailure(host: string, port: number): Promise<ListenFailure> {
  const code = await probe(host, port);
  const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const failure = (why: string, variable: ListenFailure['variable']): ListenFailure => ({
    reason: `could not listen on ${where}: ${why}`,
    variable,
  });
  switch (code) {
    case 'EADDRINUSE':
      return failure('the port is already in use', null);
    case 'EADDRNOTAVAIL':
      return failure(`${host} is not an address of this machine`, 'HOST');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return failure(`${host} does not resolve to an address (${code})`, 'HOST');
    case 'EACCES':
    case 'EPERM':
      return failure('ports below 1024 need root or CAP_NET_BIND_SERVICE', 'PORT');
    case null:
      return failure('refused, though the address and port look free now', null);
    default:
      return failure(code, null);
  }
}
