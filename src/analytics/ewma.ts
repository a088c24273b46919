/**
 * Exponentially weighted moving average: e += alpha·(x - e), seeded by the first sample.
 * Larger alpha follows the signal faster; alpha = 1 is the last sample.
 */
export class Ewma {
  readonly alpha: number;
  private current = 0;
  private seeded = false;

  constructor(alpha: number) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`EWMA alpha must be in (0, 1], got ${alpha}`);
    this.alpha = alpha;
  }

  /** The average so far (NaN before the first sample). */
  get value(): number {
    return this.seeded ? this.current : NaN;
  }

  push(x: number): number {
    if (this.seeded) {
      this.current += this.alpha * (x - this.current);
    } else {
      this.current = x;
      this.seeded = true;
    }
    return this.current;
  }

  clear(): void {
    this.current = 0;
    this.seeded = false;
  }
}
