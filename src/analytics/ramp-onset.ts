/**
 * Onset test for a linear trend over the last three samples: a matched filter for a ramp that
 * began three samples ago, i.e. the window-limited generalised likelihood ratio test for a change
 * in slope (Willsky & Jones 1976, "A generalized likelihood ratio approach to the detection and
 * estimation of jumps in linear systems", IEEE Trans. Autom. Control 21:108-112; Lai 1995,
 * "Sequential changepoint detection in quality control and dynamical systems", J. R. Stat. Soc.
 * B 57:613-658) with the window fixed at three samples.
 *
 * Fed consecutive readings and the reference each is judged against (°C), it keeps the last three
 * and gives their ramp-weighted mean departure from the oldest one's reference r₋₂,
 * D = (x₋₂ + 2x₋₁ + 3x₀) / 6 - r₋₂, i.e. (e₋₂ + 2e₋₁ + 3e₀) / 6 with e = x - r₋₂: for a ramp of slope s per sample whose
 * first sample is e₋₂ = s, D = 7s/3. Under white noise of standard deviation σ, D has standard
 * deviation σ·√14/6 (RAMP_ONSET_NORM). Its threshold is set from a false-alarm budget per day
 * (see limitPerScale). Fixed memory (six numbers), O(1) per sample, nothing allocated.
 */
import { normalUpperQuantile } from './normal-tail';

/** Standard deviation of D per unit of white noise: √(1² + 2² + 3²) / 6. */
export const RAMP_ONSET_NORM = 0.6236095644623235;
const DAY_MS = 86_400_000;

/**
 * D's two-sided limit in units of the noise scale for a budget of `alertsPerDay` false alerts
 * per day on white noise at one sample per `periodMs`, with the reference's own noise: the
 * reference is an exponential average with weight `refWeight`, whose variance a/(2 - a)·σ² adds
 * (Σw)²/Σw² = 36/14 times that to D's. The budget per sample is capped at 1 % (samples a day or
 * more apart, or a budget of hundreds a day). Throws RangeError on a budget that is not > 0.
 */
export function rampOnsetLimit(alertsPerDay: number, periodMs: number, refWeight: number): number {
  const perSample = (alertsPerDay * periodMs) / DAY_MS / 2;
  const z = normalUpperQuantile(perSample < 0.01 ? perSample : 0.01);
  const inflation = Math.sqrt(1 + ((36 / 14) * refWeight) / (2 - refWeight));
  return z * RAMP_ONSET_NORM * inflation;
}

export class RampOnset {
  /** Ramp-weighted mean departure of the last three samples, °C (0 until three are in). */
  departure = 0;
  /** Samples in since the last reset (counts to 3). */
  count = 0;
  /** The last three readings, newest first, °C. */
  private x0 = 0;
  private x1 = 0;
  private x2 = 0;
  /** The reference each of them was judged against, °C. */
  private r0 = 0;
  private r1 = 0;
  private r2 = 0;

  /**
   * Takes the next reading x and the reference it is judged against (°C); returns D (0 until three
   * samples are in). All three departures are taken from the reference before the oldest of them,
   * so the reference's adaptation to the ramp's own first samples does not hide it.
   */
  push(x: number, reference: number): number {
    if (this.count < 3) this.count++;
    this.x2 = this.x1;
    this.x1 = this.x0;
    this.x0 = x;
    this.r2 = this.r1;
    this.r1 = this.r0;
    this.r0 = reference;
    this.departure = this.count < 3 ? 0 : (this.x2 + 2 * this.x1 + 3 * x) / 6 - this.r2;
    return this.departure;
  }
  /** Least-squares rise of the departures over the three samples, e₀ - e₋₂, °C (for telling a ramp from a step). */
  rise(): number {
    return this.x0 - this.x2;
  }

  /** Mean departure of the last three readings from the oldest one's reference, °C. */
  mean(): number {
    return (this.x0 + this.x1 + this.x2) / 3 - this.r2;
  }

  reset(): void {
    this.count = 0;
    this.departure = 0;
    this.x0 = 0;
    this.x1 = 0;
    this.x2 = 0;
    this.r0 = 0;
    this.r1 = 0;
    this.r2 = 0;
  }
}
