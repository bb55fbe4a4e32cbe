import pino from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { ListenError, startServer } from './http/server.js';
import { NativeUwsUnavailableError } from './http/uws.js';
import { LogLockedError, LogOpenError } from './persistence/eventLog.js';

/** Entry point: configuration from the environment, structured logs, clean shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino({ level: config.logLevel.toLowerCase() });
  let server;
  try {
    server = await startServer(config, { logger });
  } catch (error) {
    if (error instanceof LogOpenError) {
      process.stderr.write(`configuration error: DATABASE_PATH: ${error.message}\n`);
      process.exit(2);
    }
    if (error instanceof LogLockedError) {
      process.stderr.write(`refusing to start: ${error.message}\n`);
      process.exit(5);
    }
    if (error instanceof NativeUwsUnavailableError || error instanceof ListenError) {
      process.stderr.write(`refusing to start: ${error.message}\n`);
      process.exit(error instanceof ListenError ? 4 : 3);
    }
    throw error;
  }
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    void server.close().then(() => {
      logger.info({}, 'stopped');
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

void main();
