import type { Logger } from '../../src/actors/logger.js';

/** One captured log line. */
export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string | undefined;
}

/** A Logger that keeps every line, for asserting what was logged. */
export class CapturingLogger implements Logger {
  readonly lines: LogLine[] = [];
  info(obj: object, msg?: string): void {
    this.lines.push({ level: 'info', obj: { ...obj }, msg });
  }
  warn(obj: object, msg?: string): void {
    this.lines.push({ level: 'warn', obj: { ...obj }, msg });
  }
  error(obj: object, msg?: string): void {
    this.lines.push({ level: 'error', obj: { ...obj }, msg });
  }
}
