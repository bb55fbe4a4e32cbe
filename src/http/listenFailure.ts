import { createServer } from 'node:net';

/** Why a listen failed, as far as a probe with node:net can tell; `variable` names the setting to change, if one is at fault. */
export interface ListenFailure {
  readonly reason: string;
  /**
   * HOST or PORT when the configuration is at fault (not an address of this machine, a privileged port); null when
   * none is: another process holds the port, or a system error the reason names.
   */
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
  return listenFailureOf(host, port, await probe(host, port));
}

/** Why `host` as given is no address to listen on (EINVAL): Linux's answer for a link-local IPv6 address without a known interface. */
function invalidHost(host: string): string {
  const [address = host, scope] = host.split('%');
  if (!/^fe[89ab][0-9a-f]:/i.test(address)) return `${host} cannot be listened on as given (EINVAL)`;
  if (scope === undefined) return `${host} is a link-local address, which needs its interface (${address}%eth0)`;
  return `${host} names a link-local address on ${scope}, which is no interface of this machine (EINVAL)`;
}

/**
 * The failure a probe's error `code` means (null: the probe could listen). Hint: only EADDRINUSE is "the port is
 * already in use" (exit 4); a HOST the system refuses is a configuration error naming HOST (exit 2). Before, any other
 * code was reported as its bare code and exit 4 (a probe: `HOST=fe80::1`, `EINVAL`).
 */
export function listenFailureOf(host: string, port: number, code: string | null): ListenFailure {
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
    case 'EINVAL':
      return failure(invalidHost(host), 'HOST');
    case 'EAFNOSUPPORT':
      return failure(`this machine takes no addresses of ${host}'s family (EAFNOSUPPORT; IPv6 turned off)`, 'HOST');
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
      return failure(`the system refused it (${code}), for no setting this server knows of`, null);
  }
}
