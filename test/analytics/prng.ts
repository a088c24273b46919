/** Deterministic test data: mulberry32 (same numbers in Node and XS) and a two-pass reference. */
import type { WindowStats } from '../../src/analytics/window-stats';

export { mulberry32 } from '../fixtures/mulberry32';

/** The window's samples, oldest first, for checking against the two-pass reference. */
export function windowValues(w: WindowStats): { xs: number[]; ts: number[] } {
  const xs: number[] = [];
  const ts: number[] = [];
  for (let i = 0; i < w.count; i++) {
    xs.push(w.valueAt(i));
    ts.push(w.timeAt(i));
  }
  return { xs, ts };
}

/** Two-pass reference statistics of xs (and the least-squares slope against ts, per minute). */
export function twoPass(xs: ArrayLike<number>, ts: ArrayLike<number>): { mean: number; variance: number; std: number; min: number; max: number; ratePerMinute: number } {
  const n = xs.length;
  let sum = 0;
  let tsum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    sum += xs[i];
    tsum += ts[i];
    if (xs[i] < min) min = xs[i];
    if (xs[i] > max) max = xs[i];
  }
  const mean = sum / n;
  const tmean = tsum / n;
  let m2 = 0;
  let sxt = 0;
  let stt = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i] - mean;
    const u = ts[i] - tmean;
    m2 += d * d;
    sxt += d * u;
    stt += u * u;
  }
  const variance = n < 2 ? 0 : m2 / (n - 1);
  return { mean, variance, std: Math.sqrt(variance), min, max, ratePerMinute: stt > 0 ? (sxt / stt) * 60000 : 0 };
}
