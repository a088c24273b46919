/**
 * Onset test for a linear trend over the last m samples: a matched filter for a ramp that began
 * m samples ago, i.e. the window-limited generalised likelihood ratio test for a change in slope
 * (Willsky & Jones 1976, "A generalized likelihood ratio approach to the detection and estimation
 * of jumps in linear systems", IEEE Trans. Autom. Control 21:108-112; Lai 1995, "Sequential
 * changepoint detection in quality control and dynamical systems", J. R. Stat. Soc. B
 * 57:613-658) with the window fixed at m samples.
 *
 * Fed consecutive readings and the reference each is judged against (°C), it keeps the last m
 * and gives their ramp-weighted mean departure from the oldest one's reference r₁,
 * D = Σ i·x_i / Σ i - r₁ (i = 1 oldest .. m newest), i.e. the weighted mean of e_i = x_i - r₁:
 * for a ramp adding s·i at sample i, D = s·(2m + 1)/3. Under white noise of standard deviation
 * σ, D has standard deviation σ·√(Σi²)/Σi (rampOnsetNorm). Its threshold is set from a
 * false-alarm budget per day (rampOnsetLimit). Fixed memory (2m + 5 numbers), O(1) per sample
 * (running sums, recomputed exactly once every m samples), nothing allocated per sample.
 *
 * Memory layout: the state is a block of rampOnsetSize(m) numbers inside a Float64Array, so a
 * ChangeDetector keeps its two tests inside its own state array (no object, no typed array of
 * their own: an XS object costs a slot per property, a typed array several slots). The block
 * functions (rampOnsetPush, ...) work on such a block; the RampOnset class wraps one block of its own.
 */
import { normalUpperQuantile } from './normal-tail';

const DAY_MS = 86_400_000;

/** Standard deviation of D per unit of white noise for a window of m samples: √(Σi²)/Σi. */
export function rampOnsetNorm(m: number): number {
  return Math.sqrt((m * (m + 1) * (2 * m + 1)) / 6) / ((m * (m + 1)) / 2);
}

/**
 * D's two-sided limit in units of the noise scale for a window of `m` samples and a budget of
 * `alertsPerDay` false alerts per day on white noise at one sample per `periodMs`, with the
 * reference's own noise: the reference is an exponential average with weight `refWeight`, whose
 * variance a/(2 - a)·σ² adds to D's σ²·Σi²/(Σi)². The budget per sample is capped at 1 %
 * (samples a day or more apart, or a budget of hundreds a day).
 */
export function rampOnsetLimit(m: number, alertsPerDay: number, periodMs: number, refWeight: number): number {
  const perSample = (alertsPerDay * periodMs) / DAY_MS / 2;
  const z = normalUpperQuantile(perSample < 0.01 ? perSample : 0.01);
  const norm = rampOnsetNorm(m);
  const inflation = Math.sqrt(1 + refWeight / (2 - refWeight) / (norm * norm));
  return z * norm * inflation;
}

const R = Object.freeze({
  /** Offsets in a block: count, departure, head, Σx, Σi·x, then the m readings and the m references. */
  COUNT: 0,
  DEPARTURE: 1,
  HEAD: 2,
  SUM: 3,
  WEIGHTED: 4,
  XS: 5,
});

/** Numbers a window of m samples keeps: 5 scalars, the readings and their references. */
export function rampOnsetSize(m: number): number {
  return R.XS + 2 * m;
}

/** Samples in since the last reset (counts to m). */
export function rampOnsetCount(s: Float64Array, at: number): number {
  return s[at + R.COUNT];
}

/** The last push's D, °C (0 until the window is full). */
export function rampOnsetDeparture(s: Float64Array, at: number): number {
  return s[at + R.DEPARTURE];
}

/**
 * Takes the next reading x and the reference it is judged against (°C) into the block at `at`
 * (window m); returns D (0 until the window is full). All departures are taken from the
 * reference before the oldest reading, so the reference's adaptation to the ramp's own first
 * samples does not hide it.
 */
export function rampOnsetPush(s: Float64Array, at: number, m: number, x: number, reference: number): number {
  // Each field is read once and written once (a typed-array access costs more than a local).
  const xs = at + R.XS;
  const head = s[at + R.HEAD];
  const next = head + 1 < m ? head + 1 : 0;
  const count = s[at + R.COUNT];
  let sum = s[at + R.SUM];
  let weighted = s[at + R.WEIGHTED];
  if (count < m) {
    s[at + R.COUNT] = count + 1;
    sum += x;
    weighted += (count + 1) * x;
  } else {
    // Every weight drops by one (the oldest's to 0) and x comes in at weight m.
    weighted += m * x - sum;
    sum += x - s[xs + next];
  }
  s[xs + next] = x;
  s[xs + m + next] = reference;
  s[at + R.HEAD] = next;
  if (count + 1 < m) {
    s[at + R.SUM] = sum;
    s[at + R.WEIGHTED] = weighted;
    s[at + R.DEPARTURE] = 0;
    return 0;
  }
  if (next === m - 1) {
    // Exact sums once a lap (the ring's oldest at index 0), so rounding never accumulates.
    sum = 0;
    weighted = 0;
    for (let i = 0; i < m; i++) {
      const v = s[xs + i];
      sum += v;
      weighted += (i + 1) * v;
    }
  }
  s[at + R.SUM] = sum;
  s[at + R.WEIGHTED] = weighted;
  const departure = weighted / ((m * (m + 1)) / 2) - s[xs + m + (next + 1 < m ? next + 1 : 0)];
  s[at + R.DEPARTURE] = departure;
  return departure;
}

/** Rise of the readings over the window, newest - oldest, °C (for telling a ramp from a step). */
export function rampOnsetRise(s: Float64Array, at: number, m: number): number {
  const xs = at + R.XS;
  const head = s[at + R.HEAD];
  return s[xs + head] - s[xs + (head + 1 < m ? head + 1 : 0)];
}

/** Mean departure of the window's readings from the oldest one's reference, °C. */
export function rampOnsetMean(s: Float64Array, at: number, m: number): number {
  const head = s[at + R.HEAD];
  return s[at + R.SUM] / m - s[at + R.XS + m + (head + 1 < m ? head + 1 : 0)];
}

/** Empties the window (the readings stay in place and are overwritten before they are read). */
export function rampOnsetReset(s: Float64Array, at: number): void {
  s[at + R.COUNT] = 0;
  s[at + R.DEPARTURE] = 0;
  s[at + R.SUM] = 0;
  s[at + R.WEIGHTED] = 0;
  s[at + R.HEAD] = 0;
}

/** One trend-onset test with a block of its own (a ChangeDetector keeps its blocks in its state array). */
export class RampOnset {
  /** Window length, samples (>= 2). */
  readonly window: number;
  private readonly s: Float64Array;

  constructor(window: number) {
    if (!(Number.isInteger(window) && window >= 2)) throw new RangeError(`ramp onset: window must be an integer >= 2, got ${window}`);
    this.window = window;
    this.s = new Float64Array(rampOnsetSize(window));
  }

  /** Ramp-weighted mean departure of the last `window` samples, °C (0 until they are in). */
  get departure(): number {
    return this.s[R.DEPARTURE];
  }

  /** Samples in since the last reset (counts to `window`). */
  get count(): number {
    return this.s[R.COUNT];
  }

  /** See rampOnsetPush. */
  push(x: number, reference: number): number {
    return rampOnsetPush(this.s, 0, this.window, x, reference);
  }

  /** Rise of the readings over the window, newest - oldest, °C (for telling a ramp from a step). */
  rise(): number {
    return rampOnsetRise(this.s, 0, this.window);
  }

  /** Mean departure of the window's readings from the oldest one's reference, °C. */
  mean(): number {
    return rampOnsetMean(this.s, 0, this.window);
  }

  reset(): void {
    rampOnsetReset(this.s, 0);
  }
}
