import type { Log, LogLevel } from '../../src/platform';

/** Log to xsbug / the serial console through trace(). */
export class TraceLog implements Log {
  constructor(private readonly minimum: LogLevel = 'info') {}

  write(level: LogLevel, source: string, message: string): void {
    if (RANK[level] < RANK[this.minimum]) return;
    trace(`${level} ${source}: ${message}\n`);
  }
}

const RANK: Readonly<Record<LogLevel, number>> = Object.freeze({ debug: 0, info: 1, warn: 2, error: 3 });
