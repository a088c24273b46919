/**
 * Change detection for one temperature sensor: one-sample spikes, level shifts and trends, with
 * alerts that last as long as their condition. Fixed memory (numbers only), O(1) per sample,
 * nothing allocated per sample. Measured by bench/anomaly.ts (false alerts per sensor-day on
 * steady, daily and HVAC signals at 9..12 bits; detection rate and delay of spikes, steps, ramps).
 *
 * Method. Thresholds are in units of the noise scale `scale`, or in °C and °C/min where the
 * physics sets them:
 * - Scale: robust noise estimate from first differences, σ ≈ (√π/2)·E|x_t - x_{t-1}| (for
 *   Gaussian noise E|d| = 2σ/√π), each |d| winsorised at 4·scale so a step or spike cannot
 *   inflate it; a cumulative mean for the first 256 differences, then exponential (weight 1/256):
 *   persistent. Floored at half the quantisation step `step` (0.0625 °C at 12 bits): a reading
 *   that flickers between two steps, or one step of a steady sensor, is never an anomaly.
 * - Reference level: an exponential average (time constant referenceTauMs, at least 12 samples)
 *   with Huber-clipped updates (Huber 1964, "Robust estimation of a location parameter", clip
 *   1.5·scale + allowance), so a step moves it only a little per sample. It holds while a CUSUM is
 *   past half its decision interval: evidence of a shift is not learnt as normal.
 * - Allowance: the lag a normal change gives the reference, (typical rate × 1.5) × its time
 *   constant. The typical rate is the RMS of the slope estimate less the part noise alone gives
 *   (so ≈ 0 on a steady sensor, ≈ 0.1 °C/min under an HVAC cycle), averaged over 20 minutes and
 *   capped at normalRatePerMin.
 * - Spike: Shewhart individuals rule with a wide limit (Montgomery, Introduction to Statistical
 *   Quality Control, ch. 6): |x - reference| > spikeThreshold·scale + allowance raises a `spike`
 *   alert on that very sample, which is kept out of every estimate. If the next sample is still
 *   beyond half the limit on the same side, the alert becomes a `shift` ('update'); else it ends.
 * - Level shift: two-sided tabular CUSUM (Page 1954, "Continuous inspection schemes",
 *   Biometrika 41:100-115; Montgomery ch. 9) on x - reference, with a dead zone of up to half a
 *   step where quantisation dominates, reference value k = cusumK·scale + allowance and decision
 *   interval h = cusumH·scale. An alarm whose run rose like a ramp is called a `trend`.
 * - Trend: Brown's double exponential smoothing (Brown 1963, "Smoothing, Forecasting and
 *   Prediction of Discrete Time Series") estimates the slope over trendTauMs; a slope beyond
 *   max(trendRatePerMin, normalRatePerMin + 5 standard errors) raises a `trend` alert (the
 *   standard error from the closed form in trendNoise). A slow drift at a normal rate is caught
 *   when the reference leaves a 30-minute average by more than driftLimit °C. A shift alert whose
 *   readings keep moving away becomes a `trend` ('update').
 * - Trend onset: matched filters for a ramp that began m = 3 or m = 6 samples ago (RampOnset,
 *   the window-limited GLR test for a change in slope of Willsky & Jones 1976 and Lai 1995): the
 *   ramp-weighted mean departure D = Σ i·e_i / Σ i of x - reference (less a slow trend's part)
 *   beyond z·scale·√(Σi²)/Σi (times the reference's own noise) + allowance raises a `trend`
 *   alert, or a `shift` when the window did not visibly rise. The short window is the faster on
 *   a quiet sensor, the long one on a noisy sensor. z is the normal quantile of a false-alarm
 *   budget (onsetAlertsPerDay, split 3:1 between the windows) on white noise at the sample period, so the limit
 *   is wider at 1 Hz than at 0.1 Hz: they catch a fast ramp (+3 °C in 10 min) within 2 samples
 *   at 0.1 Hz where the noise allows it (bench/anomaly.ts gives the bound where it does not).
 *
 * Alert lifetime: one alert at a time. A shift or trend alert lasts while the readings, averaged
 * over trendTauMs, stay beyond half the departure seen at its start (and beyond k) on its side of
 * the baseline; it ends with reason 'returned' after returnSamples such samples in a row. If
 * instead the level has been steady (slope within normalRatePerMin, no sample beyond the spike
 * limit) for acceptAfterMs, the new level is accepted as the baseline and the alert ends with
 * reason 'rebaselined'. Nothing is judged before minSamples samples and warmupMs from the first
 * sample (the estimates settle; a restarted or reappearing sensor warms up again). Values are
 * °C, timestamps ms and increasing; callers pass finite numbers.
 */
import { RampOnset, rampOnsetLimit } from './ramp-onset';

export type ChangeKind = 'spike' | 'shift' | 'trend';
export type ChangeEndReason = 'returned' | 'rebaselined';
export type ChangeEvent = 'none' | 'start' | 'update' | 'end';

export interface ChangeDetectorOptions {
  /** Quantisation step of the readings, °C. Default 0.0625 (DS18B20 at 12 bits). */
  step?: number;
  /** Spike limit in scale units. Default 8. */
  spikeThreshold?: number;
  /** CUSUM reference value in scale units. Default 0.75. */
  cusumK?: number;
  /** CUSUM decision interval in scale units. Default 12. */
  cusumH?: number;
  /** Fastest rate of change that is normal, °C/min. Default 0.15 (an HVAC cycle). */
  normalRatePerMin?: number;
  /** Rate of change that raises a trend alert, °C/min. Default 0.2. */
  trendRatePerMin?: number;
  /** Departure from the slow average that raises a trend alert, °C. Default 1. */
  driftLimit?: number;
  /** Time constants, ms. Defaults 10 s, 30 s, 30 min. */
  referenceTauMs?: number;
  trendTauMs?: number;
  driftTauMs?: number;
  /** Steady time after which a lasting shift or trend is accepted as the new baseline, ms. Default 15 min. */
  acceptAfterMs?: number;
  /** Samples back within the band that end a shift or trend alert. Default 3. */
  returnSamples?: number;
  /** False-alert budget of the trend-onset tests on white noise, alerts per day (3/4 to the 3-sample window, 1/4 to the 6-sample one). Default 0.02. */
  onsetAlertsPerDay?: number;
  /** Samples before anything is judged. Default 20. */
  minSamples?: number;
  /** Time from the first sample before anything is judged, ms (the estimates settle). Default 15 min. */
  warmupMs?: number;
}

const SCALE_PER_MEAN_ABS_DIFF = 0.886226925452758; // √π / 2: σ = E|d| · √π / 2 for d ~ N(0, 2σ²)
const SCALE_WEIGHT = 1 / 256;
/** How many standard errors of the slope estimate a trend must exceed the normal rate by. */
const TREND_Z = 5;
/** Time constant of the typical rate of change, ms (20 min: a few HVAC cycles). */
const RATE_TAU_MS = 1_200_000;
/** Headroom on the typical rate for the reference's lag. */
const RATE_MARGIN = 1.5;
/** Huber's clipping constant for the reference's update, in scale units (Huber 1964). */
const HUBER = 1.5;
/** The reference averages over at least this many samples, so a CUSUM has time to see a shift. */
const REF_MIN_SAMPLES = 12;
/** Headroom on the noise's share of the slope (the scale estimate is itself a few % off). */
const NOISE_MARGIN = 1.3;
/**
 * The 3-sample onset test's share of the onset budget (the 6-sample one has the rest): the short
 * window is what reaches 2 samples on a quiet sensor, where a narrower limit counts most.
 */
const ONSET_SHORT_SHARE = 0.75;
/** Share of the decision interval beyond which the typical rate holds. */
const HOLD = 0.5;

/**
 * Standard deviation of Brown's slope estimate b = a/(1-a)·(l1 - l2) for unit white noise, in
 * value units per sample. b is white noise filtered by a²(1 - z⁻¹)/(1 - βz⁻¹)², β = 1 - a, whose
 * impulse response is h0 = 1 (times a²), h(m+1) = β^m (β - (m+1)a); the sum of squares is
 * closed-form with r = β²: Σ r^m (c - m·a)² = c²/(1-r) - 2ca·r/(1-r)² + a²·r(1+r)/(1-r)³, c = β - a.
 */
export function trendNoise(a: number): number {
  const b = 1 - a;
  const r = b * b;
  const c = b - a;
  const u = 1 - r;
  const sum = 1 + (c * c) / u - (2 * c * a * r) / (u * u) + (a * a * r * (1 + r)) / (u * u * u);
  return a * a * Math.sqrt(sum);
}

function positive(name: string, value: number): number {
  if (!(value > 0 && value < Infinity)) throw new RangeError(`change detector: ${name} must be finite and > 0, got ${value}`);
  return value;
}

export class ChangeDetector {
  /** Spike limit in scale units (see setSpikeThreshold). */
  spikeThreshold: number;
  readonly cusumK: number;
  readonly cusumH: number;
  readonly normalRatePerMin: number;
  readonly trendRatePerMin: number;
  readonly driftLimit: number;
  readonly onsetAlertsPerDay: number;
  readonly referenceTauMs: number;
  readonly trendTauMs: number;
  readonly driftTauMs: number;
  readonly acceptAfterMs: number;
  readonly returnSamples: number;
  readonly minSamples: number;
  readonly warmupMs: number;
  /** Quantisation step, °C (see setStep). */
  step: number;

  /** What the last sample did to the alert. */
  event: ChangeEvent = 'none';
  /** The alert is raised and has not ended. */
  active = false;
  /** Kind of the current (or just ended) alert. */
  kind: ChangeKind = 'spike';
  /** +1 upwards, -1 downwards, 0 without an alert. */
  direction = 0;
  /** Why the alert ended (valid when event is 'end'). */
  endReason: ChangeEndReason = 'returned';
  /** The reference level when the alert started, °C; the new baseline when it ended 'rebaselined'. */
  baseline = 0;
  /** Robust score of the last sample: (x - reference) / scale. */
  score = 0;
  /** Noise scale in use, °C (estimate floored at step/2). */
  scale = 0;
  /** Reference level before the last sample, °C. */
  reference = 0;
  /** Slope estimate, °C/min. */
  ratePerMin = 0;
  /** Samples seen (spike samples included). */
  samples = 0;
  /** Alerts started since construction. */
  alerts = 0;

  private meanAbsDiff = 0;
  /** Mean square of the winsorised first differences, °C² (the onset test's scale, see onsetBeyond). */
  private meanSqDiff = 0;
  private diffs = 0;
  private lastX = 0;
  private lastT = 0;
  private firstT = 0;
  private l1 = 0;
  private l2 = 0;
  private slow = 0;
  private up = 0;
  private down = 0;
  private pendingSpike = 0;
  private calm = 0;
  /** Departure from the baseline when the alert started (or became a shift), °C. */
  private magnitude = 0;
  /** The current CUSUM run: samples, Σe and Σi·e (i from 0), for telling a step from a ramp. */
  private runN = 0;
  private runSumE = 0;
  private runSumIE = 0;
  /** The alert's samples so far: count, Σy and Σi·y with y = (x - baseline)·direction. */
  private alertN = 0;
  /** Exponential average of (x - baseline)·direction during the alert, °C. */
  private alertLevel = 0;
  private alertSumY = 0;
  private alertSumIY = 0;
  private steadySince = 0;
  private cachedDt = -1;
  private aRef = 0;
  /** referenceTauMs, or REF_MIN_SAMPLES sample periods when that is longer. */
  private refTauMs = 0;
  private aTrend = 0;
  private aDrift = 0;
  /** Standard deviation of the per-sample slope estimate per unit of noise (see trendNoise). */
  private trendGain = 0;
  private aRate = 0;
  /** How fast this sensor's temperature normally moves, °C/min (RMS slope beyond the noise's). */
  private typicalRate = 0;
  private rateSquare = 0;
  private rates = 0;
  /** The trend-onset tests over 3 and 6 samples (fast ramps on quiet sensors; on noisy ones). */
  private readonly onsetShort = new RampOnset(3);
  private readonly onsetLong = new RampOnset(6);
  /** Their limits on |D| in scale units at the current sample period (see rampOnsetLimit). */
  private onsetLimitShort = 0;
  private onsetLimitLong = 0;
  /** Their D's lag behind a linear trend over the slow average's lead on the reference (see onsetBeyond). */
  private onsetLagShort = 0;
  private onsetLagLong = 0;

  constructor(options: ChangeDetectorOptions = {}) {
    this.step = positive('step', options.step ?? 0.0625);
    this.spikeThreshold = positive('spikeThreshold', options.spikeThreshold ?? 8);
    this.cusumK = positive('cusumK', options.cusumK ?? 0.75);
    this.cusumH = positive('cusumH', options.cusumH ?? 12);
    this.normalRatePerMin = positive('normalRatePerMin', options.normalRatePerMin ?? 0.15);
    this.trendRatePerMin = positive('trendRatePerMin', options.trendRatePerMin ?? 0.2);
    this.driftLimit = positive('driftLimit', options.driftLimit ?? 1);
    this.onsetAlertsPerDay = positive('onsetAlertsPerDay', options.onsetAlertsPerDay ?? 0.02);
    this.referenceTauMs = positive('referenceTauMs', options.referenceTauMs ?? 60_000);
    this.trendTauMs = positive('trendTauMs', options.trendTauMs ?? 30_000);
    this.driftTauMs = positive('driftTauMs', options.driftTauMs ?? 1_800_000);
    this.acceptAfterMs = positive('acceptAfterMs', options.acceptAfterMs ?? 900_000);
    this.returnSamples = positive('returnSamples', options.returnSamples ?? 3);
    this.minSamples = positive('minSamples', options.minSamples ?? 20);
    this.warmupMs = positive('warmupMs', options.warmupMs ?? 900_000);
  }

  /** Sets the spike limit (scale units), e.g. from the configuration; the estimates and any alert are kept. */
  setSpikeThreshold(threshold: number): void {
    this.spikeThreshold = positive('spikeThreshold', threshold);
  }

  /** Sets the quantisation step (°C), e.g. after a resolution change; the estimates are kept. */
  setStep(step: number): void {
    this.step = positive('step', step);
  }

  /** Judges and then learns one sample (finite value °C, time ms). Returns the alert event. */
  push(x: number, timeMs: number): ChangeEvent {
    this.event = 'none';
    this.samples++;
    if (this.samples === 1) {
      this.start(x, timeMs);
      return 'none';
    }
    const dt = timeMs > this.lastT ? timeMs - this.lastT : 1;
    if (dt !== this.cachedDt) this.alphas(dt);
    const scale = this.currentScale();
    const allowance = this.allowance();
    const e = x - this.reference;
    this.score = e / scale;
    const spikeLimit = this.spikeThreshold * scale + allowance;
    const judged = this.samples > this.minSamples && timeMs - this.firstT >= this.warmupMs;
    if (judged && this.judgeSpike(e, spikeLimit, timeMs)) return this.event;
    this.learn(x, timeMs, dt, e, scale, allowance, judged);
    if (judged && this.event === 'none') this.judge(x, timeMs, dt, scale, allowance, e > spikeLimit || e < -spikeLimit);
    return this.event;
  }

  /** Forgets everything (as if new); counters of alerts stay. */
  clear(): void {
    this.samples = 0;
    this.event = 'none';
    this.active = false;
    this.direction = 0;
    this.pendingSpike = 0;
    this.score = 0;
  }

  /**
   * Ends an active alert from outside (the sensor went missing or faulty): returns whether one
   * was active. The estimates start again with the next sample.
   */
  interrupt(): boolean {
    const was = this.active;
    this.clear();
    return was;
  }

  private start(x: number, timeMs: number): void {
    this.firstT = timeMs;
    this.lastX = x;
    this.lastT = timeMs;
    this.reference = x;
    this.l1 = x;
    this.l2 = x;
    this.slow = x;
    this.up = 0;
    this.down = 0;
    this.meanAbsDiff = 0;
    this.meanSqDiff = 0;
    this.diffs = 0;
    this.ratePerMin = 0;
    this.typicalRate = 0;
    this.rateSquare = 0;
    this.rates = 0;
    this.steadySince = timeMs;
    this.scale = this.step / 2;
    this.onsetShort.reset();
    this.onsetLong.reset();
  }

  private alphas(dt: number): void {
    this.cachedDt = dt;
    this.refTauMs = this.referenceTauMs > REF_MIN_SAMPLES * dt ? this.referenceTauMs : REF_MIN_SAMPLES * dt;
    this.aRef = 1 - Math.exp(-dt / this.refTauMs);
    this.aTrend = 1 - Math.exp(-dt / this.trendTauMs);
    this.aDrift = 1 - Math.exp(-dt / this.driftTauMs);
    this.trendGain = trendNoise(this.aTrend);
    this.aRate = 1 - Math.exp(-dt / RATE_TAU_MS);
    this.onsetLimitShort = rampOnsetLimit(3, ONSET_SHORT_SHARE * this.onsetAlertsPerDay, dt, this.aRef);
    this.onsetLimitLong = rampOnsetLimit(6, (1 - ONSET_SHORT_SHARE) * this.onsetAlertsPerDay, dt, this.aRef);
    // Under x = b·t: D = b·(lag of the reference + (2m + 1)/3 samples), reference - slow =
    // b·(lag of slow), the lag of an exponential average of weight a being (1 - a)/a samples.
    const refLag = (1 - this.aRef) / this.aRef;
    const slowLag = (1 - this.aDrift) / this.aDrift;
    this.onsetLagShort = (refLag + 7 / 3) / slowLag;
    this.onsetLagLong = (refLag + 13 / 3) / slowLag;
  }

  /**
   * The reference's lag a normal change may cause, °C: the sensor's typical rate of change
   * (learned, at most normalRatePerMin) × RATE_MARGIN × referenceTauMs.
   */
  private allowance(): number {
    const rate = this.typicalRate < this.normalRatePerMin ? this.typicalRate : this.normalRatePerMin;
    return (RATE_MARGIN * rate * this.refTauMs) / 60_000;
  }

  private currentScale(): number {
    const estimate = this.meanAbsDiff * SCALE_PER_MEAN_ABS_DIFF;
    const floor = this.step / 2;
    this.scale = estimate > floor ? estimate : floor;
    return this.scale;
  }

  /**
   * A sample beyond the spike limit while no shift or trend alert lasts, or the sample after it.
   * Returns true when the sample is consumed (kept out of every estimate).
   */
  private judgeSpike(e: number, spikeLimit: number, timeMs: number): boolean {
    const direction = this.pendingSpike;
    if (direction !== 0) {
      this.pendingSpike = 0;
      if (!this.active || this.kind !== 'spike') return false;
      if (e * direction > spikeLimit / 2) {
        // Still there: a level shift that began with the spike sample.
        this.kind = 'shift';
        this.event = 'update';
        this.magnitude = e * direction;
        this.alertLevel = this.magnitude;
        this.alertN = 0;
        this.alertSumY = 0;
        this.alertSumIY = 0;
        this.steadySince = timeMs;
      } else {
        this.finish('returned');
      }
      return false;
    }
    if (this.active || (e <= spikeLimit && e >= -spikeLimit)) return false;
    this.pendingSpike = e > 0 ? 1 : -1;
    this.raise('spike', this.pendingSpike, this.reference + e);
    this.lastT = timeMs;
    return true;
  }

  private learn(x: number, timeMs: number, dt: number, e: number, scale: number, allowance: number, judged: boolean): void {
    const d = x - this.lastX;
    const ad = d < 0 ? -d : d;
    const cap = 4 * scale;
    const w = this.diffs < 255 ? 1 / (this.diffs + 1) : SCALE_WEIGHT;
    this.meanAbsDiff += w * ((ad < cap ? ad : cap) - this.meanAbsDiff);
    this.meanSqDiff += w * ((ad < cap ? ad * ad : cap * cap) - this.meanSqDiff);
    this.diffs++;
    this.onsetShort.push(x, this.reference);
    this.onsetLong.push(x, this.reference);
    const k = this.cusumK * scale + allowance;
    // While a CUSUM is building evidence (past half the decision interval), the reference and
    // the typical rate hold: a shift must not be learnt as normal before it is judged.
    const hold = !this.active && this.up > HOLD * this.cusumH * scale || this.down > HOLD * this.cusumH * scale;
    const clip = HUBER * scale + allowance;
    if (!hold) this.reference += this.aRef * (e > clip ? clip : e < -clip ? -clip : e);
    const a = this.aTrend;
    this.l1 += a * (x - this.l1);
    this.l2 += a * (this.l1 - this.l2);
    this.ratePerMin = ((a / (1 - a)) * (this.l1 - this.l2) * 60_000) / dt;
    this.slow += this.aDrift * (this.reference - this.slow);
    if (!hold && !this.active) {
      // Mean square of the slope, less the part the noise alone gives: what the temperature
      // itself does (an HVAC cycle's 0.1 °C/min; about 0 on a steady sensor, however noisy).
      const r = this.ratePerMin;
      const wr = 1 / ++this.rates;
      this.rateSquare += (wr > this.aRate ? wr : this.aRate) * (r * r - this.rateSquare);
      const noise = (NOISE_MARGIN * scale * this.trendGain * 60_000) / dt;
      const excess = this.rateSquare - noise * noise;
      this.typicalRate = excess > 0 ? Math.sqrt(excess) : 0;
    }
    // Dead zone of half a step where quantisation dominates the noise: a reading one step off the
    // reference is within the resolution. Noise well above the step dithers it: the zone shrinks.
    const half = (this.step * this.step) / (4 * scale);
    const eq = e > half ? e - half : e < -half ? e + half : 0;
    const up = this.up + eq - k;
    const down = this.down - eq - k;
    // The CUSUMs start when judging does: warm-up excursions are the estimates settling.
    // While an alert lasts they rest (its own condition decides its end).
    const run = judged && !this.active;
    this.up = up > 0 && run ? up : 0;
    this.down = down > 0 && run ? down : 0;
    if (this.up === 0 && this.down === 0) {
      this.runN = 0;
      this.runSumE = 0;
      this.runSumIE = 0;
    } else {
      this.runSumE += e;
      this.runSumIE += this.runN * e;
      this.runN++;
    }
    this.lastX = x;
    this.lastT = timeMs;
  }

  /** The slope that raises a trend alert: trendRatePerMin, or the normal rate plus TREND_Z standard errors. */
  private trendLimit(scale: number, dt: number): number {
    const noisy = this.normalRatePerMin + (TREND_Z * scale * this.trendGain * 60_000) / dt;
    return noisy > this.trendRatePerMin ? noisy : this.trendRatePerMin;
  }

  private judge(x: number, timeMs: number, dt: number, scale: number, allowance: number, beyond: boolean): void {
    const rate = this.ratePerMin;
    const absRate = rate < 0 ? -rate : rate;
    if (absRate > this.normalRatePerMin || beyond) this.steadySince = timeMs;
    if (!this.active) {
      const h = this.cusumH * scale;
      const drift = this.reference - this.slow;
      const rms = Math.sqrt(this.meanSqDiff / 2);
      const onsetScale = rms > scale ? rms : scale;
      if (this.up > h) this.raise(this.shiftKind(1, scale), 1, x);
      else if (this.down > h) this.raise(this.shiftKind(-1, scale), -1, x);
      else if (this.onsetBeyond(this.onsetShort, this.onsetLimitShort, this.onsetLagShort, onsetScale, allowance)) this.raiseOnset(this.onsetShort, scale, x);
      else if (this.onsetBeyond(this.onsetLong, this.onsetLimitLong, this.onsetLagLong, onsetScale, allowance)) this.raiseOnset(this.onsetLong, scale, x);
      else if (absRate > this.trendLimit(scale, dt)) this.raise('trend', rate > 0 ? 1 : -1, x);
      else if (drift > this.driftLimit || drift < -this.driftLimit) this.raise('trend', drift > 0 ? 1 : -1, x);
      return;
    }
    if (this.kind === 'shift' && this.keepsRising(x, scale)) {
      this.kind = 'trend';
      this.event = 'update';
    }
    // The condition lasts while the readings, averaged over trendTauMs, stay beyond half the
    // departure seen at the start (and beyond the in-control band) on the alert's side.
    const band = this.cusumK * scale + allowance;
    const half = this.magnitude / 2;
    this.alertLevel += this.aTrend * ((x - this.baseline) * this.direction - this.alertLevel);
    if (this.alertLevel <= (half > band ? half : band)) {
      if (++this.calm >= this.returnSamples) {
        this.finish('returned');
        this.restartAt(this.baseline);
      }
      return;
    }
    this.calm = 0;
    if (timeMs - this.steadySince >= this.acceptAfterMs) {
      // Steady at a new level: accept it. Every level estimate restarts there.
      const level = this.l1;
      this.finish('rebaselined');
      this.baseline = level;
      this.restartAt(level);
    }
  }

  /**
   * A CUSUM alarm is a level shift, or a trend when the departure grew during the run: the
   * least-squares rise of x - reference over the run exceeds half its mean departure and three
   * standard errors (a step gives a flat run; where noise hides the shape it is called a shift).
   */
  private shiftKind(direction: number, scale: number): ChangeKind {
    const n = this.runN;
    if (n < 3) return 'shift';
    const sumI = (n * (n - 1)) / 2;
    const sumII = ((n - 1) * n * (2 * n - 1)) / 6;
    const rise = ((n * this.runSumIE - sumI * this.runSumE) / (n * sumII - sumI * sumI)) * (n - 1) * direction;
    const mean = (this.runSumE / n) * direction;
    const se = scale * Math.sqrt(12 / (n * (n * n - 1))) * (n - 1);
    return rise > mean / 2 && rise > 3 * se ? 'trend' : 'shift';
  }

  /**
   * A trend-onset test: its window full and |D| beyond `limitPerScale` × `onsetScale` +
   * allowance. `onsetScale` is the standard deviation from the mean square difference,
   * σ² = E[d²]/2, when that exceeds the scale: quantised readings (σ near half a step) make E|d| read up to 13 % low, and a
   * threshold far out in the normal tail needs the true spread. D is taken less the part a slow
   * trend gives it (the reference lags a trend of slope b by b·τ): b is estimated from the
   * reference's lead on the 30-minute average, (reference - slow)/τ_slow, so a daily swing does
   * not eat into the limit while a ramp's own first samples barely move that estimate.
   */
  private onsetBeyond(test: RampOnset, limitPerScale: number, lagRatio: number, onsetScale: number, allowance: number): boolean {
    if (test.count < test.window) return false;
    const d = test.departure - (this.reference - this.slow) * lagRatio;
    const limit = limitPerScale * onsetScale + allowance;
    return d > limit || d < -limit;
  }

  /**
   * Raises an onset alarm: a `trend` when the window's readings rose by over half their mean
   * departure and three standard errors of a difference (√2·scale), else a `shift` (which
   * becomes a trend once the readings are seen to keep rising, see keepsRising).
   */
  private raiseOnset(test: RampOnset, scale: number, x: number): void {
    const direction = test.departure > 0 ? 1 : -1;
    const rise = test.rise() * direction;
    const kind = rise > (test.mean() * direction) / 2 && rise > 3 * Math.SQRT2 * scale ? 'trend' : 'shift';
    this.raise(kind, direction, x);
  }

  /**
   * A shift alert whose readings keep moving away is a trend: the least-squares rise of x over
   * the alert's samples (from the 10th on) exceeds the departure it started with and three
   * standard errors.
   */
  private keepsRising(x: number, scale: number): boolean {
    const n = ++this.alertN;
    const y = (x - this.baseline) * this.direction;
    this.alertSumY += y;
    this.alertSumIY += (n - 1) * y;
    if (n < 10) return false;
    const sumI = (n * (n - 1)) / 2;
    const sumII = ((n - 1) * n * (2 * n - 1)) / 6;
    const rise = ((n * this.alertSumIY - sumI * this.alertSumY) / (n * sumII - sumI * sumI)) * (n - 1);
    const se = scale * Math.sqrt(12 / (n * (n * n - 1))) * (n - 1);
    return rise > this.magnitude && rise > 3 * se;
  }

  private raise(kind: ChangeKind, direction: number, x: number): void {
    this.steadySince = this.lastT;
    this.alertN = 0;
    this.alertSumY = 0;
    this.alertSumIY = 0;
    this.active = true;
    this.kind = kind;
    this.direction = direction;
    this.baseline = this.reference;
    const m = (x - this.baseline) * direction;
    this.magnitude = m > 0 ? m : 0;
    this.alertLevel = this.magnitude;
    this.calm = 0;
    this.alerts++;
    this.event = 'start';
  }

  /** After an alert: the level estimates restart at `level` (the jump back or the new level is not a trend). */
  private restartAt(level: number): void {
    this.reference = level;
    this.slow = level;
    this.l1 = level;
    this.l2 = level;
    this.ratePerMin = 0;
    this.onsetShort.reset();
    this.onsetLong.reset();
  }

  private finish(reason: ChangeEndReason): void {
    this.active = false;
    this.endReason = reason;
    this.event = 'end';
    this.up = 0;
    this.down = 0;
    this.calm = 0;
  }
}
