/**
 * Exponentially weighted moving average: e += alpha·(x - e), seeded by the first sample.
 * Larger alpha follows the signal faster; alpha = 1 is the last sample.
 *
 * Memory layout: the state is a block of EwmaLayout.SIZE numbers (current, seeded 0/1) at offset `at`
 * in a Float64Array (ewmaPush, ewmaValue, ewmaClear), so SensorAnalytics keeps it in its own
 * state array; the Ewma class wraps a block of its own.
 */
/** Offsets in a block, and the block's size. */
export const EwmaLayout = Object.freeze({
  CURRENT: 0,
  SEEDED: 1,
  SIZE: 2,
});

/** Throws RangeError unless 0 < alpha <= 1; returns alpha. */
export function checkEwmaAlpha(alpha: number): number {
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`EWMA alpha must be in (0, 1], got ${alpha}`);
  return alpha;
}

/** The average so far (NaN before the first sample). */
export function ewmaValue(s: Float64Array, at: number): number {
  return s[at + EwmaLayout.SEEDED] !== 0 ? s[at + EwmaLayout.CURRENT] : NaN;
}

/** Adds x to the average at `at` with weight alpha; returns the new average. */
export function ewmaPush(s: Float64Array, at: number, alpha: number, x: number): number {
  if (s[at + EwmaLayout.SEEDED] !== 0) {
    const current = s[at + EwmaLayout.CURRENT];
    return (s[at + EwmaLayout.CURRENT] = current + alpha * (x - current));
  }
  s[at + EwmaLayout.CURRENT] = x;
  s[at + EwmaLayout.SEEDED] = 1;
  return x;
}

export function ewmaClear(s: Float64Array, at: number): void {
  s[at + EwmaLayout.CURRENT] = 0;
  s[at + EwmaLayout.SEEDED] = 0;
}

export class Ewma {
  readonly alpha: number;
  private readonly s = new Float64Array(EwmaLayout.SIZE);

  constructor(alpha: number) {
    this.alpha = checkEwmaAlpha(alpha);
  }

  /** The average so far (NaN before the first sample). */
  get value(): number {
    return ewmaValue(this.s, 0);
  }

  push(x: number): number {
    return ewmaPush(this.s, 0, this.alpha, x);
  }

  clear(): void {
    ewmaClear(this.s, 0);
  }
}
