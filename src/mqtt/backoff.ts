/**
 * Reconnect delays: exponential backoff with jitter, never below the floor.
 *
 * - 'full':         uniform in [min, min(max, min * 2^(attempt+1))]; jitter spreads a fleet
 *                   that lost its broker at the same moment (from the very first retry, which
 *                   falls in [min, 2 min]), the floor keeps one device polite.
 * - 'decorrelated': AWS "decorrelated jitter": uniform in [min, min(max, 3 * previous)].
 * - 'none':         min(max, min * 2^attempt); deterministic (tests).
 */
import type { Random } from '../platform';

export type Jitter = 'full' | 'decorrelated' | 'none';

export interface BackoffOptions {
  /** Floor, ms. Default 1000. */
  minMs?: number;
  /** Ceiling, ms. Default 100000. */
  maxMs?: number;
  jitter?: Jitter;
}

export class Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  private readonly jitter: Jitter;
  private attempt = 0;
  private previous: number;

  constructor(
    options: BackoffOptions,
    private readonly random: Random,
  ) {
    this.minMs = Math.max(0, options.minMs ?? 1000);
    this.maxMs = Math.max(this.minMs, options.maxMs ?? 100_000);
    this.jitter = options.jitter ?? 'full';
    this.previous = this.minMs;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const lo = this.minMs;
    let delay: number;
    if (this.jitter === 'decorrelated') {
      const hi = Math.min(this.maxMs, this.previous * 3);
      delay = lo + this.random.next() * (hi - lo);
    } else {
      // 2^attempt without overflow: stop growing once the ceiling is reached.
      const doublings = this.jitter === 'full' ? this.attempt + 1 : this.attempt;
      const hi = doublings >= 30 ? this.maxMs : Math.min(this.maxMs, lo * 2 ** doublings);
      delay = this.jitter === 'full' ? lo + this.random.next() * (hi - lo) : hi;
    }
    this.attempt++;
    this.previous = delay;
    return Math.floor(delay);
  }

  /** The longest delay; used after errors a retry cannot fix soon (bad credentials). */
  ceiling(): number {
    this.attempt++;
    this.previous = this.maxMs;
    return this.maxMs;
  }

  /** A connection succeeded: start over from the floor. */
  reset(): void {
    this.attempt = 0;
    this.previous = this.minMs;
  }

  get failures(): number {
    return this.attempt;
  }
}
