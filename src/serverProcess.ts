import pino from 'pino';
import { pinoOptions } from './actors/logger.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import type { RunningServer } from './http/server.js';
import { NativeUwsUnavailableError } from './http/uws.js';
import { lastResortHandler } from './lastResort.js';
import { legacyNotices } from './legacyNotices.js';
import { stdoutLog } from './logDestination.js';
import { packageVersion } from './packageVersion.js';
import { LogLockedError, LogOpenError } from './persistence/eventLog.js';
import { JetStreamSettingError, JetStreamUnavailableError } from './persistence/jetstream/jetStreamOptions.js';
import { usageText } from './settingsText.js';
import { stopOnSignals } from './shutdownSignals.js';
import { startWarnings } from './startWarnings.js';

/** Refuse to start with one line on stderr and a documented exit code; never a stack trace. */
function refuse(code: number, line: string): never {
  process.stderr.write(`${line.replaceAll('\n', ' ')}\n`);
  process.exit(code);
}

/** `--help` and `--version` answer and exit 0; anything else on the command line is a usage error (exit 2). */
function handleArguments(args: readonly string[]): void {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usageText(packageVersion()));
    process.exit(0);
  }
  if (args.includes('--version') || args.includes('-v')) {
    process.stdout.write(`${packageVersion()}\n`);
    process.exit(0);
  }
  if (args.length > 0)
    refuse(
      2,
      `unknown argument ${JSON.stringify(args[0])}; the server is configured by environment variables (see --help)`,
    );
}

/** Map the known startup failures to their exit codes; anything else is a bug and goes to the last-resort handler. */
function refuseStartup(error: unknown, ListenError: typeof import('./http/server.js').ListenError): void {
  if (error instanceof LogOpenError) refuse(2, `configuration error: DATABASE_PATH: ${error.message}`);
  if (error instanceof LogLockedError) refuse(5, `refusing to start: ${error.message}`);
  if (error instanceof JetStreamSettingError) refuse(2, `configuration error: ${error.variable}: ${error.message}`);
  if (error instanceof JetStreamUnavailableError) refuse(6, `refusing to start: ${error.message}`);
  if (error instanceof NativeUwsUnavailableError) refuse(3, `refusing to start: ${error.message}`);
  if (error instanceof ListenError) {
    if (error.variable !== null) refuse(2, `configuration error: ${error.variable}: ${error.message}`);
    refuse(4, `refusing to start: ${error.message}`);
  }
}

/**
 * The server process once its modules have loaded: configuration from the environment, structured logs, clean
 * shutdown on SIGTERM/SIGINT. `handOver` removes the handlers that stopped it while it loaded (src/main.ts).
 */
export async function runServerProcess(handOver: () => void): Promise<void> {
  handleArguments(process.argv.slice(2));
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) refuse(2, `configuration error: ${error.message}`);
    throw error;
  }
  const destination = stdoutLog(() => {
    logger.level = 'silent';
  });
  const logger = pino(pinoOptions(config.logLevel), destination.stream);
  for (const { variable, message } of legacyNotices(process.env, config)) logger.warn({ variable }, message);
  let server: RunningServer | null = null;
  const onFatal = lastResortHandler({
    logger,
    flushLog: destination.flush,
    shutdown: () => server?.close() ?? null,
    exit: (code) => process.exit(code),
    graceMs: 5_000,
  });
  process.on('uncaughtException', (error, origin) => onFatal(error, origin));
  process.on('unhandledRejection', (reason) => onFatal(reason, 'unhandledRejection'));
  // Hint: the signals are taken from here on, not once listening: a SIGTERM during a long start (an integrity check, a
  // cluster to reach) met Node's default action and ended the process with 143 (probe). The server is then closed
  // as soon as it has started; a start that fails exits with its own code instead.
  let starting: Promise<RunningServer> | null = null;
  stopOnSignals({
    signals: process,
    logger,
    close: () =>
      (starting ?? Promise.resolve(null)).then(
        (running) => running?.close(),
        () => new Promise(() => {}),
      ),
    exit: () => {
      destination.flush();
      process.exit(0);
    },
  });
  handOver();
  // Hint: the server's modules (uWS, SQLite, the actors, NATS) load only once the arguments and settings passed, so
  // --help, --version and a refused setting answer without them (about 0.2 s of CPU less, measured).
  const { ListenError, startServer } = await import('./http/server.js');
  starting = startServer(config, { logger });
  try {
    server = await starting;
  } catch (error) {
    destination.flush();
    refuseStartup(error, ListenError);
    throw error;
  }
  for (const warning of startWarnings(config, process.env, server.port)) logger.warn({}, warning);
}
