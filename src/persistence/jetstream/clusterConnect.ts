import { readFileSync } from 'node:fs';
import {
  AuthorizationError,
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';
import { type JetStreamOptions, JetStreamSettingError, JetStreamUnavailableError } from './jetStreamOptions.js';
import { connectFailureDetail } from './serverProbe.js';

/** How long connecting, and each JetStream request while opening the stream, may take (ms). */
export const CONNECT_TIMEOUT_MS = 5_000;

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function connectionOptions(options: JetStreamOptions): ConnectionOptions {
  return {
    servers: [...options.servers],
    name: 'event-pipeline',
    timeout: CONNECT_TIMEOUT_MS,
    // Hint: a node keeps serving reads while the cluster is away, so it never gives up reconnecting.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 2_000,
    maxPingOut: 2,
    ...(options.user === undefined ? {} : { user: options.user, pass: options.password ?? '' }),
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.credsFile === undefined
      ? {}
      : { authenticator: credsAuthenticator(new Uint8Array(readFileSync(options.credsFile))) }),
  };
}

/**
 * Connect to the cluster. Throws JetStreamSettingError naming the credential settings when the servers refuse them
 * (no restart can fix that: it used to exit 6, "unavailable", which a supervisor retries forever), else
 * JetStreamUnavailableError naming the servers and the reason.
 */
export async function connectToCluster(options: JetStreamOptions): Promise<NatsConnection> {
  try {
    return await connect(connectionOptions(options));
  } catch (error) {
    const refusal = credentialsRefused(error) ? error : await refusalAmong(options);
    if (refusal !== null) throw refusedCredentials(options, reasonOf(refusal));
    const detail = await connectFailureDetail(options.servers, reasonOf(error));
    throw new JetStreamUnavailableError(
      `cannot reach the NATS cluster at ${options.servers.join(',')}: ${reasonOf(error)}${detail}`,
      { cause: error },
    );
  }
}

/** The servers refused the credentials (or their absence); an authentication timeout is no verdict on them. */
function credentialsRefused(error: unknown): boolean {
  if (error instanceof UserAuthenticationExpiredError) return true;
  return error instanceof AuthorizationError && !/timeout/i.test(error.message);
}

/**
 * The refusal of one of several servers, else null. Hint: with several NATS_URL entries the client throws the error
 * of the last server it tried, in random order, so a refusal hidden behind an unreachable entry exited 6
 * ("unavailable", retried for ever) on some starts and 2 on others.
 */
async function refusalAmong(options: JetStreamOptions): Promise<unknown> {
  if (options.servers.length < 2) return null;
  const tries = options.servers.map((server) =>
    connect({ ...connectionOptions(options), servers: [server], maxReconnectAttempts: 0 }).then(
      (connection) => connection.close().then(() => null),
      (error: unknown) => (credentialsRefused(error) ? error : null),
    ),
  );
  return (await Promise.all(tries)).find((error) => error !== null) ?? null;
}

function refusedCredentials(options: JetStreamOptions, reason: string): JetStreamSettingError {
  const set = [
    ...(options.user === undefined ? [] : ['NATS_USER', 'NATS_PASSWORD']),
    ...(options.token === undefined ? [] : ['NATS_TOKEN']),
    ...(options.credsFile === undefined ? [] : ['NATS_CREDS']),
  ];
  const servers = options.servers.join(',');
  if (set.length === 0)
    return new JetStreamSettingError(
      'NATS_USER, NATS_TOKEN or NATS_CREDS',
      `the NATS servers at ${servers} require credentials, and none is set (${reason}): set NATS_USER and ` +
        'NATS_PASSWORD, NATS_TOKEN, or NATS_CREDS',
    );
  return new JetStreamSettingError(
    set.join(', '),
    `the NATS servers at ${servers} refused these credentials (${reason}); check ${set.join(' and ')}`,
  );
}

/**
 * A JetStreamSettingError naming NATS_URL when `error` says the servers run no JetStream for this account, else null.
 * Hint: the client reports a JetStream API request nobody answers ("no responders") as "jetstream is not enabled";
 * a cluster still forming answers "timeout" or "temporarily unavailable" instead (seen on three fresh servers).
 */
export function jetStreamMissing(error: unknown, options: JetStreamOptions): JetStreamSettingError | null {
  if (!(error instanceof Error) || error.name !== 'JetStreamNotEnabled') return null;
  return new JetStreamSettingError(
    'NATS_URL',
    `the NATS servers at ${options.servers.join(',')} do not run JetStream for this account (${error.message}): ` +
      'enable it in their configuration (jetstream { store_dir: … }), or point NATS_URL at a JetStream cluster',
  );
}
