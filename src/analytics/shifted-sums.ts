/**
 * Running sums of a set of (value, time) samples, taken about a shift (k, t0) chosen near the
 * data so the squares stay small and `sxx - sx²/n` does not cancel catastrophically. Supports
 * add and remove in O(1). Used by WindowStats, which bounds rounding drift by rebuilding a
 * fresh copy every window (see there).
 *
 * Memory layout: a set of sums is a block of SumsLayout.SIZE numbers inside the caller's Float64Array
 * at offset `at` (n, k, t0, Σd, Σd², Σu, Σu², Σd·u with d = x - k, u = t - t0), so WindowStats
 * keeps its two sets in its own state array rather than in two objects of 8 properties each.
 */
/** Offsets in a block, and the block's size. */
export const SumsLayout = Object.freeze({
  N: 0,
  /** Value shift. */
  K: 1,
  /** Time shift (ms). */
  T0: 2,
  SX: 3,
  SXX: 4,
  ST: 5,
  STT: 6,
  SXT: 7,
  /** Numbers in one set of sums. */
  SIZE: 8,
});

/** Sample count of the sums at `at`. */
export function sumsCount(s: Float64Array, at: number): number {
  return s[at + SumsLayout.N];
}

/** Empties the sums at `at` and sets their shift to (k, t0). */
export function sumsReset(s: Float64Array, at: number, k: number, t0: number): void {
  s[at + SumsLayout.N] = 0;
  s[at + SumsLayout.K] = k;
  s[at + SumsLayout.T0] = t0;
  s[at + SumsLayout.SX] = 0;
  s[at + SumsLayout.SXX] = 0;
  s[at + SumsLayout.ST] = 0;
  s[at + SumsLayout.STT] = 0;
  s[at + SumsLayout.SXT] = 0;
}

export function sumsAdd(s: Float64Array, at: number, x: number, t: number): void {
  const d = x - s[at + SumsLayout.K];
  const u = t - s[at + SumsLayout.T0];
  s[at + SumsLayout.N]++;
  s[at + SumsLayout.SX] += d;
  s[at + SumsLayout.SXX] += d * d;
  s[at + SumsLayout.ST] += u;
  s[at + SumsLayout.STT] += u * u;
  s[at + SumsLayout.SXT] += d * u;
}

export function sumsRemove(s: Float64Array, at: number, x: number, t: number): void {
  const d = x - s[at + SumsLayout.K];
  const u = t - s[at + SumsLayout.T0];
  s[at + SumsLayout.N]--;
  s[at + SumsLayout.SX] -= d;
  s[at + SumsLayout.SXX] -= d * d;
  s[at + SumsLayout.ST] -= u;
  s[at + SumsLayout.STT] -= u * u;
  s[at + SumsLayout.SXT] -= d * u;
}

/** Mean of the values (0 when empty). */
export function sumsMean(s: Float64Array, at: number): number {
  const n = s[at + SumsLayout.N];
  return n === 0 ? 0 : s[at + SumsLayout.K] + s[at + SumsLayout.SX] / n;
}

/** Sum of squared deviations from the mean, never negative. */
export function sumsM2(s: Float64Array, at: number): number {
  const n = s[at + SumsLayout.N];
  if (n < 2) return 0;
  const sx = s[at + SumsLayout.SX];
  const m2 = s[at + SumsLayout.SXX] - (sx * sx) / n;
  return m2 > 0 ? m2 : 0;
}

/** Least-squares slope of value against time, in value units per ms (0 without a time spread). */
export function sumsSlope(s: Float64Array, at: number): number {
  const n = s[at + SumsLayout.N];
  if (n < 2) return 0;
  const st = s[at + SumsLayout.ST];
  const stt = s[at + SumsLayout.STT] - (st * st) / n;
  if (!(stt > 0)) return 0;
  return (s[at + SumsLayout.SXT] - (st * s[at + SumsLayout.SX]) / n) / stt;
}
