import { connect } from 'node:net';

/** How long a NATS_URL entry may take to greet before it is said not to (ms). */
export const GREETING_MS = 1_000;

/** Host and port of a NATS_URL entry (`[scheme://]host[:port]`, port 4222 when absent). */
function address(entry: string): { host: string; port: number } {
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `nats://${entry}`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? 4222 : Number(url.port) };
}

/**
 * What is wrong with one NATS_URL entry, or null when a NATS server answers there. Hint: a NATS server greets every
 * connection at once with an `INFO {…}` line (before TLS too), so one that accepts and says nothing, or something
 * else, is not one: the client only said "timeout" after 5 s for an entry pointing at an HTTP port.
 */
export function probeServer(entry: string, timeoutMs = GREETING_MS): Promise<string | null> {
  return new Promise((resolve) => {
    let host: string;
    let port: number;
    try {
      ({ host, port } = address(entry));
    } catch {
      resolve('is not a server URL');
      return;
    }
    const socket = connect({ host, port });
    const done = (problem: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(
      () => done(`accepted a connection but sent no NATS greeting within ${timeoutMs} ms: it may not be a NATS server`),
      timeoutMs,
    );
    socket.once('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      done(text.startsWith('INFO ') ? null : `answered ${JSON.stringify(text.slice(0, 20))}: it is not a NATS server`);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(`cannot be reached (${error.code ?? error.message})`));
  });
}

/** Each entry of `servers` with what is wrong with it; the ones that answer as NATS servers are left out. */
export async function serverProblems(servers: readonly string[]): Promise<string[]> {
  const problems = await Promise.all(servers.map(async (entry) => ({ entry, problem: await probeServer(entry) })));
  return problems.flatMap(({ entry, problem }) => (problem === null ? [] : [`NATS_URL entry ${entry} ${problem}`]));
}

/** Warn (through `onNotice`) of each NATS_URL entry that does not answer as a NATS server, in the background. */
export function warnOfBadEntries(servers: readonly string[], connectedTo: string, onNotice: (line: string) => void) {
  if (servers.length < 2) return;
  void serverProblems(servers).then((problems) => {
    for (const problem of problems)
      onNotice(`${problem}; this node is connected to ${connectedTo} and fails over only to the entries that answer`);
  });
}

/** More to say about a start that could not connect: the entries that answer but are not NATS servers. */
export async function connectFailureDetail(servers: readonly string[], reason: string): Promise<string> {
  if (!/timeout/i.test(reason)) return '';
  const problems = (await serverProblems(servers)).filter((problem) => /NATS (greeting|server)/.test(problem));
  return problems.length === 0 ? '' : ` (${problems.join('; ')})`;
}
