/**
 * What C2D commands, direct methods and the twin may do to the running device. The application
 * implements it; c2d.ts, methods.ts and twin.ts only parse, validate and dispatch.
 */
import type { ApplyResult } from './config';

export interface DeviceControl {
  /**
   * Applies configuration values (validated; invalid ones refused, old value kept). `replace`:
   * the patch is a complete desired document (entries it lacks return to their defaults).
   */
  configure(patch: Record<string, unknown>, source: string, replace?: boolean): ApplyResult;
  /** Flashes the display for `durationMs`. */
  identify(durationMs: number): void;
  showMessage(text: string, sender: string | undefined): void;
  clearMessage(): void;
  /** Statistics for the getStats method (JSON-serializable). */
  stats(): Record<string, unknown>;
  /** The same as JSON text, built without holding every sensor's objects at once (what getStats sends). */
  statsJson(): string;
  /** Restarts the application after `delayMs` (time for the reply to leave). */
  reboot(delayMs: number): void;
  /** Records an error for the reported properties and the log. */
  error(source: string, message: string): void;
}

/** Identify duration bounds. */
export const IDENTIFY_DEFAULT_MS = 10000;
export const IDENTIFY_MAX_MS = 300000;

/** Reads an optional identify duration from a parsed argument object. */
export function identifyDuration(args: Record<string, unknown>): number | string {
  const d = args.durationMs;
  if (d === undefined) return IDENTIFY_DEFAULT_MS;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > IDENTIFY_MAX_MS) {
    return `durationMs must be an integer from 0 to ${IDENTIFY_MAX_MS}`;
  }
  return d;
}

/** The interval properties setInterval accepts. */
const INTERVAL_KEYS: readonly string[] = Object.freeze(['samplingIntervalMs', 'telemetryIntervalMs', 'aggregatePeriodMs']);

/**
 * Validates setInterval arguments: an object with at least one interval property and no others.
 * Returns the patch, or a reason.
 */
export function intervalPatch(args: Record<string, unknown>): Record<string, unknown> | string {
  const patch: Record<string, unknown> = {};
  let n = 0;
  for (const key of Object.keys(args)) {
    if (INTERVAL_KEYS.indexOf(key) < 0) return `unknown argument '${key}' (expected ${INTERVAL_KEYS.join(', ')})`;
    patch[key] = args[key];
    n++;
  }
  if (n === 0) return `expected at least one of ${INTERVAL_KEYS.join(', ')}`;
  return patch;
}

/** Parses a JSON argument object; empty text is {}. Returns the object or a reason. */
export function parseArgs(text: string): Record<string, unknown> | string {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'null') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return 'arguments are not valid JSON';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'arguments must be a JSON object';
  return parsed as Record<string, unknown>;
}
