import pino, { type LoggerOptions } from 'pino';

/** The structured logger the actors need (pino satisfies it); injected so tests can stay quiet. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** pino's options for the server: the level, and ISO 8601 times (`"time":"2026-01-31T12:00:00.000Z"`), not epoch ms. */
export function pinoOptions(level: string): LoggerOptions {
  return { level, timestamp: pino.stdTimeFunctions.isoTime };
}
