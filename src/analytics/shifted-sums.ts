/**
 * Running sums of a set of (value, time) samples, taken about a shift (k, t0) chosen near the
 * data so the squares stay small and `sxx - sx²/n` does not cancel catastrophically. Supports
 * add and remove in O(1). Used by WindowStats, which bounds rounding drift by rebuilding a
 * fresh copy every window (see there).
 */
export class ShiftedSums {
  n = 0;
  /** Value shift. */
  k = 0;
  /** Time shift (ms). */
  t0 = 0;
  sx = 0;
  sxx = 0;
  st = 0;
  stt = 0;
  sxt = 0;

  reset(k: number, t0: number): void {
    this.n = 0;
    this.k = k;
    this.t0 = t0;
    this.sx = 0;
    this.sxx = 0;
    this.st = 0;
    this.stt = 0;
    this.sxt = 0;
  }

  add(x: number, t: number): void {
    const d = x - this.k;
    const u = t - this.t0;
    this.n++;
    this.sx += d;
    this.sxx += d * d;
    this.st += u;
    this.stt += u * u;
    this.sxt += d * u;
  }

  remove(x: number, t: number): void {
    const d = x - this.k;
    const u = t - this.t0;
    this.n--;
    this.sx -= d;
    this.sxx -= d * d;
    this.st -= u;
    this.stt -= u * u;
    this.sxt -= d * u;
  }

  copyFrom(other: ShiftedSums): void {
    this.n = other.n;
    this.k = other.k;
    this.t0 = other.t0;
    this.sx = other.sx;
    this.sxx = other.sxx;
    this.st = other.st;
    this.stt = other.stt;
    this.sxt = other.sxt;
  }

  /** Mean of the values (0 when empty). */
  mean(): number {
    return this.n === 0 ? 0 : this.k + this.sx / this.n;
  }

  /** Sum of squared deviations from the mean, never negative. */
  m2(): number {
    if (this.n < 2) return 0;
    const m2 = this.sxx - (this.sx * this.sx) / this.n;
    return m2 > 0 ? m2 : 0;
  }

  /** Least-squares slope of value against time, in value units per ms (0 without a time spread). */
  slope(): number {
    if (this.n < 2) return 0;
    const stt = this.stt - (this.st * this.st) / this.n;
    if (!(stt > 0)) return 0;
    return (this.sxt - (this.st * this.sx) / this.n) / stt;
  }
}
