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
 * false-alarm budget per day (rampOnsetLimit). Fixed memory (2m + 2 numbers), O(1) per sample
 * (running sums, recomputed exactly once every m samples), nothing allocated per sample.
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

export class RampOnset {
  /** Window length, samples (>= 2). */
  readonly window: number;
  /** Ramp-weighted mean departure of the last `window` samples, °C (0 until they are in). */
  departure = 0;
  /** Samples in since the last reset (counts to `window`). */
  count = 0;
  /** Readings and the reference each was judged against, °C, in a ring; `head` is the newest. */
  private readonly xs: Float64Array;
  private readonly rs: Float64Array;
  private head = 0;
  /** Σ x and Σ i·x over the window (i = 1 oldest .. m newest), updated in O(1), recomputed each lap. */
  private sum = 0;
  private weighted = 0;

  constructor(window: number) {
    if (!(Number.isInteger(window) && window >= 2)) throw new RangeError(`ramp onset: window must be an integer >= 2, got ${window}`);
    this.window = window;
    this.xs = new Float64Array(window);
    this.rs = new Float64Array(window);
  }

  /**
   * Takes the next reading x and the reference it is judged against (°C); returns D (0 until the
   * window is full). All departures are taken from the reference before the oldest reading, so the
   * reference's adaptation to the ramp's own first samples does not hide it.
   */
  push(x: number, reference: number): number {
    const m = this.window;
    const next = this.head + 1 < m ? this.head + 1 : 0;
    if (this.count < m) {
      this.count++;
      this.sum += x;
      this.weighted += this.count * x;
    } else {
      // Every weight drops by one (the oldest's to 0) and x comes in at weight m.
      this.weighted += m * x - this.sum;
      this.sum += x - this.xs[next];
    }
    this.xs[next] = x;
    this.rs[next] = reference;
    this.head = next;
    if (this.count < m) {
      this.departure = 0;
      return 0;
    }
    if (next === m - 1) this.recompute();
    this.departure = this.weighted / ((m * (m + 1)) / 2) - this.rs[next + 1 < m ? next + 1 : 0];
    return this.departure;
  }

  /** Rise of the readings over the window, newest - oldest, °C (for telling a ramp from a step). */
  rise(): number {
    const m = this.window;
    return this.xs[this.head] - this.xs[this.head + 1 < m ? this.head + 1 : 0];
  }

  /** Mean departure of the window's readings from the oldest one's reference, °C. */
  mean(): number {
    const m = this.window;
    return this.sum / m - this.rs[this.head + 1 < m ? this.head + 1 : 0];
  }

  reset(): void {
    this.count = 0;
    this.departure = 0;
    this.sum = 0;
    this.weighted = 0;
    this.head = 0;
  }

  /** Exact sums once a lap (the ring's oldest at index 0), so rounding never accumulates. */
  private recompute(): void {
    let sum = 0;
    let weighted = 0;
    for (let i = 0; i < this.window; i++) {
      sum += this.xs[i];
      weighted += (i + 1) * this.xs[i];
    }
    this.sum = sum;
    this.weighted = weighted;
  }
}
