/**
 * Log for Node: console output with a redaction guard. Callers must never log secrets, but if
 * one slips through, anything that looks like a SAS signature, a shared access key or a
 * password is masked before it is written.
 */
import type { Log, LogLevel } from '../../src/platform';

const PATTERNS: RegExp[] = [
  // sig=... in a SAS token (URL-encoded base64)
  /(\bsig=)[A-Za-z0-9%+/=_-]+/gi,
  // SharedAccessKey=... / SharedAccessSignature ... in connection strings
  /(SharedAccessKey=)[^;"'\s]+/gi,
  /(SharedAccessSignature\s+)[^"'\s]+/gi,
  // "password":"..." or password=...
  /("?password"?\s*[:=]\s*"?)[^"',;\s]+/gi,
  // a bare 32-byte base64 key (44 characters ending in '=')
  /()\b[A-Za-z0-9+/]{43}=/g,
];

export function redact(text: string): string {
  let out = text;
  for (const p of PATTERNS) out = out.replace(p, (_m, prefix: string) => `${prefix}***`);
  return out;
}

export interface ConsoleLogOptions {
  /** Lowest level written. Default 'info'. */
  level?: LogLevel;
  /** Prefix for every line (e.g. the device id). */
  prefix?: string;
  /** Where lines go. Default console. */
  sink?: (level: LogLevel, line: string) => void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export class ConsoleLog implements Log {
  private readonly min: number;
  private readonly prefix: string;
  private readonly sink: (level: LogLevel, line: string) => void;

  constructor(options: ConsoleLogOptions = {}) {
    this.min = RANK[options.level ?? 'info'];
    this.prefix = options.prefix ? options.prefix + ' ' : '';
    this.sink =
      options.sink ??
      ((level, line) => {
        if (level === 'error' || level === 'warn') console.error(line);
        else console.log(line);
      });
  }

  write(level: LogLevel, source: string, message: string): void {
    if (RANK[level] < this.min) return;
    this.sink(level, redact(`${new Date().toISOString()} ${level.padEnd(5)} ${this.prefix}[${source}] ${message}`));
  }
}
