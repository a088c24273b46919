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
import { rampOnsetCount, rampOnsetDeparture, rampOnsetLimit, rampOnsetMean, rampOnsetPush, rampOnsetReset, rampOnsetRise, rampOnsetSize } from './ramp-onset';

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

/**
 * The detector's configuration, validated once and frozen: every sensor built with the same
 * options shares one instance (pass it to each `new ChangeDetector(settings)`), so a sensor's own
 * memory is its state array alone. `step` and `spikeThreshold` are the initial values of the two
 * settings a sensor can change at run time (setStep, setSpikeThreshold), which live in its state.
 * Throws RangeError on a value that is not finite and > 0.
 */
export class ChangeDetectorSettings {
  readonly step: number;
  readonly spikeThreshold: number;
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
    Object.freeze(this);
  }
}

/** The defaults, shared by every detector built without options. */
const DEFAULT_SETTINGS = new ChangeDetectorSettings();

/** Codes of the string-valued state, as kept in the state array, and their names. */
const Event = Object.freeze({
  NONE: 0,
  START: 1,
  UPDATE: 2,
  END: 3,
});
const EVENTS: readonly ChangeEvent[] = Object.freeze(['none', 'start', 'update', 'end'] as const);
const Kind = Object.freeze({
  SPIKE: 0,
  SHIFT: 1,
  TREND: 2,
});
const KINDS: readonly ChangeKind[] = Object.freeze(['spike', 'shift', 'trend'] as const);
const Reason = Object.freeze({
  RETURNED: 0,
  REBASELINED: 1,
});
const END_REASONS: readonly ChangeEndReason[] = Object.freeze(['returned', 'rebaselined'] as const);

/*
 * State layout: one Float64Array per detector, indexed by these constants. In XS an object costs
 * a slot (16 B) per property and property lookup walks the list; the ~50 numbers of a detector
 * as an array cost 8 B each in the chunk heap and a typed array's few slots. The indices are
 * frozen objects (what Moddable preloads must be frozen; one top-level binding per layout keeps the
 * bundled suites within the xs-device stack).
 */
/** The trend-onset tests' windows, samples: fast ramps on quiet sensors; on noisy ones. */
const Onset = Object.freeze({
  SHORT_WINDOW: 3,
  LONG_WINDOW: 6,
});
const S = Object.freeze({
  /** Run-time settings: spike limit (scale units) and quantisation step (°C). */
  SPIKE_THRESHOLD: 0,
  STEP: 1,
  /** Public state (see the getters). Booleans are 0/1; event, kind and end reason are codes above. */
  EVENT: 2,
  ACTIVE: 3,
  KIND: 4,
  DIRECTION: 5,
  END_REASON: 6,
  BASELINE: 7,
  SCORE: 8,
  SCALE: 9,
  REFERENCE: 10,
  RATE_PER_MIN: 11,
  SAMPLES: 12,
  ALERTS: 13,
  /** Noise scale: mean |difference| and mean square difference (°C, °C², winsorised) and their count. */
  MEAN_ABS_DIFF: 14,
  MEAN_SQ_DIFF: 15,
  DIFFS: 16,
  LAST_X: 17,
  LAST_T: 18,
  FIRST_T: 19,
  /** Brown's double smoothing (l1, l2) and the 30-minute average of the reference (slow). */
  L1: 20,
  L2: 21,
  SLOW: 22,
  /** The two CUSUMs. */
  UP: 23,
  DOWN: 24,
  PENDING_SPIKE: 25,
  CALM: 26,
  /** Departure from the baseline when the alert started (or became a shift), °C. */
  MAGNITUDE: 27,
  /** The current CUSUM run: samples, Σe and Σi·e (i from 0), for telling a step from a ramp. */
  RUN_N: 28,
  RUN_SUM_E: 29,
  RUN_SUM_IE: 30,
  /** The alert's samples so far: count, Σy and Σi·y with y = (x - baseline)·direction. */
  ALERT_N: 31,
  /** Exponential average of (x - baseline)·direction during the alert, °C. */
  ALERT_LEVEL: 32,
  ALERT_SUM_Y: 33,
  ALERT_SUM_IY: 34,
  STEADY_SINCE: 35,
  /** The sample period the weights below were computed for, ms (-1: none yet). */
  CACHED_DT: 36,
  A_REF: 37,
  /** referenceTauMs, or REF_MIN_SAMPLES sample periods when that is longer. */
  REF_TAU_MS: 38,
  A_TREND: 39,
  A_DRIFT: 40,
  /** Standard deviation of the per-sample slope estimate per unit of noise (see trendNoise). */
  TREND_GAIN: 41,
  A_RATE: 42,
  /** How fast this sensor's temperature normally moves, °C/min (RMS slope beyond the noise's). */
  TYPICAL_RATE: 43,
  RATE_SQUARE: 44,
  RATES: 45,
  /** The onset tests' limits on |D| in scale units at the current sample period (see rampOnsetLimit). */
  ONSET_LIMIT_SHORT: 46,
  ONSET_LIMIT_LONG: 47,
  /** Their D's lag behind a linear trend over the slow average's lead on the reference (see onsetBeyond). */
  ONSET_LAG_SHORT: 48,
  ONSET_LAG_LONG: 49,
  /** The trend-onset tests: RampOnset blocks (rampOnsetSize numbers each), windows above. */
  ONSET_SHORT: 50,
  ONSET_LONG: 50 + rampOnsetSize(Onset.SHORT_WINDOW),
  STATE_SIZE: 50 + rampOnsetSize(Onset.SHORT_WINDOW) + rampOnsetSize(Onset.LONG_WINDOW),
});

export class ChangeDetector {
  /** The configuration, shared with every detector built from the same settings object. */
  readonly settings: ChangeDetectorSettings;
  /** All numeric state (layout above). */
  private readonly s: Float64Array;

  /**
   * Options are validated into settings of its own; pass a ChangeDetectorSettings to share one.
   * `extra`: numbers reserved after the detector's own in its state array, for a caller's state
   * blocks (hostState, from HOSTED_AT): in XS every typed array costs about 7 slots, so a
   * sensor's other analytics living here spare one per block. The detector never touches them.
   */
  constructor(options: ChangeDetectorOptions | ChangeDetectorSettings = DEFAULT_SETTINGS, extra = 0) {
    const settings = options instanceof ChangeDetectorSettings ? options : new ChangeDetectorSettings(options);
    this.settings = settings;
    const s = new Float64Array(S.STATE_SIZE + extra);
    s[S.SPIKE_THRESHOLD] = settings.spikeThreshold;
    s[S.STEP] = settings.step;
    s[S.CACHED_DT] = -1;
    this.s = s;
  }

  /** The state array, whose numbers from HOSTED_AT on are the `extra` the constructor reserved for the caller. */
  get hostState(): Float64Array {
    return this.s;
  }

  /** Where the caller's `extra` numbers start in hostState. */
  static readonly HOSTED_AT: number = S.STATE_SIZE;

  /** Spike limit in scale units (see setSpikeThreshold). */
  get spikeThreshold(): number {
    return this.s[S.SPIKE_THRESHOLD];
  }

  /** Quantisation step, °C (see setStep). */
  get step(): number {
    return this.s[S.STEP];
  }

  /** What the last sample did to the alert. */
  get event(): ChangeEvent {
    return EVENTS[this.s[S.EVENT]];
  }

  /** The alert is raised and has not ended. */
  get active(): boolean {
    return this.s[S.ACTIVE] !== 0;
  }

  /** Kind of the current (or just ended) alert. */
  get kind(): ChangeKind {
    return KINDS[this.s[S.KIND]];
  }

  /** +1 upwards, -1 downwards, 0 without an alert. */
  get direction(): number {
    return this.s[S.DIRECTION];
  }

  /** Why the alert ended (valid when event is 'end'). */
  get endReason(): ChangeEndReason {
    return END_REASONS[this.s[S.END_REASON]];
  }

  /** The reference level when the alert started, °C; the new baseline when it ended 'rebaselined'. */
  get baseline(): number {
    return this.s[S.BASELINE];
  }

  /** Robust score of the last sample: (x - reference) / scale. */
  get score(): number {
    return this.s[S.SCORE];
  }

  /** Noise scale in use, °C (estimate floored at step/2). */
  get scale(): number {
    return this.s[S.SCALE];
  }

  /** Reference level before the last sample, °C. */
  get reference(): number {
    return this.s[S.REFERENCE];
  }

  /** Slope estimate, °C/min. */
  get ratePerMin(): number {
    return this.s[S.RATE_PER_MIN];
  }

  /** Samples seen (spike samples included). */
  get samples(): number {
    return this.s[S.SAMPLES];
  }

  /** Alerts started since construction. */
  get alerts(): number {
    return this.s[S.ALERTS];
  }

  /** Sets the spike limit (scale units), e.g. from the configuration; the estimates and any alert are kept. */
  setSpikeThreshold(threshold: number): void {
    this.s[S.SPIKE_THRESHOLD] = positive('spikeThreshold', threshold);
  }

  /** Sets the quantisation step (°C), e.g. after a resolution change; the estimates are kept. */
  setStep(step: number): void {
    this.s[S.STEP] = positive('step', step);
  }

  /** Judges and then learns one sample (finite value °C, time ms). Returns the alert event. */
  push(x: number, timeMs: number): ChangeEvent {
    const s = this.s;
    const c = this.settings;
    s[S.EVENT] = Event.NONE;
    const samples = ++s[S.SAMPLES];
    if (samples === 1) {
      this.start(x, timeMs);
      return 'none';
    }
    const lastT = s[S.LAST_T];
    const dt = timeMs > lastT ? timeMs - lastT : 1;
    if (dt !== s[S.CACHED_DT]) this.alphas(dt);
    // The noise scale in use: the estimate, floored at half a step.
    const estimate = s[S.MEAN_ABS_DIFF] * SCALE_PER_MEAN_ABS_DIFF;
    const floor = s[S.STEP] / 2;
    const scale = estimate > floor ? estimate : floor;
    s[S.SCALE] = scale;
    // The reference's lag a normal change may cause, °C: the sensor's typical rate of change
    // (learned, at most normalRatePerMin) × RATE_MARGIN × referenceTauMs.
    const typical = s[S.TYPICAL_RATE];
    const rate = typical < c.normalRatePerMin ? typical : c.normalRatePerMin;
    const allowance = (RATE_MARGIN * rate * s[S.REF_TAU_MS]) / 60_000;
    const e = x - s[S.REFERENCE];
    s[S.SCORE] = e / scale;
    const spikeLimit = s[S.SPIKE_THRESHOLD] * scale + allowance;
    const judged = samples > c.minSamples && timeMs - s[S.FIRST_T] >= c.warmupMs;
    if (judged && this.judgeSpike(e, spikeLimit, timeMs)) return EVENTS[s[S.EVENT]];
    this.learn(x, timeMs, dt, e, scale, allowance, judged);
    if (judged && s[S.EVENT] === Event.NONE) this.judge(x, timeMs, dt, scale, allowance, e > spikeLimit || e < -spikeLimit);
    return EVENTS[s[S.EVENT]];
  }

  /** Forgets everything (as if new); counters of alerts stay. */
  clear(): void {
    const s = this.s;
    s[S.SAMPLES] = 0;
    s[S.EVENT] = Event.NONE;
    s[S.ACTIVE] = 0;
    s[S.DIRECTION] = 0;
    s[S.PENDING_SPIKE] = 0;
    s[S.SCORE] = 0;
  }

  /**
   * Ends an active alert from outside (the sensor went missing or faulty): returns whether one
   * was active. The estimates start again with the next sample.
   */
  interrupt(): boolean {
    const was = this.s[S.ACTIVE] !== 0;
    this.clear();
    return was;
  }

  private start(x: number, timeMs: number): void {
    const s = this.s;
    s[S.FIRST_T] = timeMs;
    s[S.LAST_X] = x;
    s[S.LAST_T] = timeMs;
    s[S.REFERENCE] = x;
    s[S.L1] = x;
    s[S.L2] = x;
    s[S.SLOW] = x;
    s[S.UP] = 0;
    s[S.DOWN] = 0;
    s[S.MEAN_ABS_DIFF] = 0;
    s[S.MEAN_SQ_DIFF] = 0;
    s[S.DIFFS] = 0;
    s[S.RATE_PER_MIN] = 0;
    s[S.TYPICAL_RATE] = 0;
    s[S.RATE_SQUARE] = 0;
    s[S.RATES] = 0;
    s[S.STEADY_SINCE] = timeMs;
    s[S.SCALE] = s[S.STEP] / 2;
    rampOnsetReset(s, S.ONSET_SHORT);
    rampOnsetReset(s, S.ONSET_LONG);
  }

  private alphas(dt: number): void {
    const s = this.s;
    const c = this.settings;
    s[S.CACHED_DT] = dt;
    const refTauMs = c.referenceTauMs > REF_MIN_SAMPLES * dt ? c.referenceTauMs : REF_MIN_SAMPLES * dt;
    s[S.REF_TAU_MS] = refTauMs;
    const aRef = 1 - Math.exp(-dt / refTauMs);
    s[S.A_REF] = aRef;
    const aTrend = 1 - Math.exp(-dt / c.trendTauMs);
    s[S.A_TREND] = aTrend;
    const aDrift = 1 - Math.exp(-dt / c.driftTauMs);
    s[S.A_DRIFT] = aDrift;
    s[S.TREND_GAIN] = trendNoise(aTrend);
    s[S.A_RATE] = 1 - Math.exp(-dt / RATE_TAU_MS);
    s[S.ONSET_LIMIT_SHORT] = rampOnsetLimit(Onset.SHORT_WINDOW, ONSET_SHORT_SHARE * c.onsetAlertsPerDay, dt, aRef);
    s[S.ONSET_LIMIT_LONG] = rampOnsetLimit(Onset.LONG_WINDOW, (1 - ONSET_SHORT_SHARE) * c.onsetAlertsPerDay, dt, aRef);
    // Under x = b·t: D = b·(lag of the reference + (2m + 1)/3 samples), reference - slow =
    // b·(lag of slow), the lag of an exponential average of weight a being (1 - a)/a samples.
    const refLag = (1 - aRef) / aRef;
    const slowLag = (1 - aDrift) / aDrift;
    s[S.ONSET_LAG_SHORT] = (refLag + 7 / 3) / slowLag;
    s[S.ONSET_LAG_LONG] = (refLag + 13 / 3) / slowLag;
  }

  /**
   * A sample beyond the spike limit while no shift or trend alert lasts, or the sample after it.
   * Returns true when the sample is consumed (kept out of every estimate).
   */
  private judgeSpike(e: number, spikeLimit: number, timeMs: number): boolean {
    const s = this.s;
    const direction = s[S.PENDING_SPIKE];
    if (direction !== 0) {
      s[S.PENDING_SPIKE] = 0;
      if (s[S.ACTIVE] === 0 || s[S.KIND] !== Kind.SPIKE) return false;
      if (e * direction > spikeLimit / 2) {
        // Still there: a level shift that began with the spike sample.
        s[S.KIND] = Kind.SHIFT;
        s[S.EVENT] = Event.UPDATE;
        const magnitude = e * direction;
        s[S.MAGNITUDE] = magnitude;
        s[S.ALERT_LEVEL] = magnitude;
        s[S.ALERT_N] = 0;
        s[S.ALERT_SUM_Y] = 0;
        s[S.ALERT_SUM_IY] = 0;
        s[S.STEADY_SINCE] = timeMs;
      } else {
        this.finish(Reason.RETURNED);
      }
      return false;
    }
    if (s[S.ACTIVE] !== 0 || (e <= spikeLimit && e >= -spikeLimit)) return false;
    const pending = e > 0 ? 1 : -1;
    s[S.PENDING_SPIKE] = pending;
    this.raise(Kind.SPIKE, pending, s[S.REFERENCE] + e);
    s[S.LAST_T] = timeMs;
    return true;
  }

  private learn(x: number, timeMs: number, dt: number, e: number, scale: number, allowance: number, judged: boolean): void {
    const s = this.s;
    const c = this.settings;
    const d = x - s[S.LAST_X];
    const ad = d < 0 ? -d : d;
    const cap = 4 * scale;
    const diffs = s[S.DIFFS];
    const w = diffs < 255 ? 1 / (diffs + 1) : SCALE_WEIGHT;
    s[S.MEAN_ABS_DIFF] += w * ((ad < cap ? ad : cap) - s[S.MEAN_ABS_DIFF]);
    s[S.MEAN_SQ_DIFF] += w * ((ad < cap ? ad * ad : cap * cap) - s[S.MEAN_SQ_DIFF]);
    s[S.DIFFS] = diffs + 1;
    rampOnsetPush(s, S.ONSET_SHORT, Onset.SHORT_WINDOW, x, s[S.REFERENCE]);
    rampOnsetPush(s, S.ONSET_LONG, Onset.LONG_WINDOW, x, s[S.REFERENCE]);
    const k = c.cusumK * scale + allowance;
    // While a CUSUM is building evidence (past half the decision interval), the reference and
    // the typical rate hold: a shift must not be learnt as normal before it is judged.
    const active = s[S.ACTIVE] !== 0;
    const hold = !active && s[S.UP] > HOLD * c.cusumH * scale || s[S.DOWN] > HOLD * c.cusumH * scale;
    const clip = HUBER * scale + allowance;
    if (!hold) s[S.REFERENCE] += s[S.A_REF] * (e > clip ? clip : e < -clip ? -clip : e);
    const a = s[S.A_TREND];
    const l1 = s[S.L1] + a * (x - s[S.L1]);
    s[S.L1] = l1;
    const l2 = s[S.L2] + a * (l1 - s[S.L2]);
    s[S.L2] = l2;
    const ratePerMin = ((a / (1 - a)) * (l1 - l2) * 60_000) / dt;
    s[S.RATE_PER_MIN] = ratePerMin;
    s[S.SLOW] += s[S.A_DRIFT] * (s[S.REFERENCE] - s[S.SLOW]);
    if (!hold && !active) {
      // Mean square of the slope, less the part the noise alone gives: what the temperature
      // itself does (an HVAC cycle's 0.1 °C/min; about 0 on a steady sensor, however noisy).
      const r = ratePerMin;
      const wr = 1 / ++s[S.RATES];
      const aRate = s[S.A_RATE];
      s[S.RATE_SQUARE] += (wr > aRate ? wr : aRate) * (r * r - s[S.RATE_SQUARE]);
      const noise = (NOISE_MARGIN * scale * s[S.TREND_GAIN] * 60_000) / dt;
      const excess = s[S.RATE_SQUARE] - noise * noise;
      s[S.TYPICAL_RATE] = excess > 0 ? Math.sqrt(excess) : 0;
    }
    // Dead zone of half a step where quantisation dominates the noise: a reading one step off the
    // reference is within the resolution. Noise well above the step dithers it: the zone shrinks.
    const step = s[S.STEP];
    const half = (step * step) / (4 * scale);
    const eq = e > half ? e - half : e < -half ? e + half : 0;
    const up = s[S.UP] + eq - k;
    const down = s[S.DOWN] - eq - k;
    // The CUSUMs start when judging does: warm-up excursions are the estimates settling.
    // While an alert lasts they rest (its own condition decides its end).
    const run = judged && !active;
    const upNow = up > 0 && run ? up : 0;
    const downNow = down > 0 && run ? down : 0;
    s[S.UP] = upNow;
    s[S.DOWN] = downNow;
    if (upNow === 0 && downNow === 0) {
      s[S.RUN_N] = 0;
      s[S.RUN_SUM_E] = 0;
      s[S.RUN_SUM_IE] = 0;
    } else {
      s[S.RUN_SUM_E] += e;
      s[S.RUN_SUM_IE] += s[S.RUN_N] * e;
      s[S.RUN_N]++;
    }
    s[S.LAST_X] = x;
    s[S.LAST_T] = timeMs;
  }

  /** The slope that raises a trend alert: trendRatePerMin, or the normal rate plus TREND_Z standard errors. */
  private trendLimit(scale: number, dt: number): number {
    const c = this.settings;
    const noisy = c.normalRatePerMin + (TREND_Z * scale * this.s[S.TREND_GAIN] * 60_000) / dt;
    return noisy > c.trendRatePerMin ? noisy : c.trendRatePerMin;
  }

  private judge(x: number, timeMs: number, dt: number, scale: number, allowance: number, beyond: boolean): void {
    const s = this.s;
    const c = this.settings;
    const rate = s[S.RATE_PER_MIN];
    const absRate = rate < 0 ? -rate : rate;
    if (absRate > c.normalRatePerMin || beyond) s[S.STEADY_SINCE] = timeMs;
    if (s[S.ACTIVE] === 0) {
      const h = c.cusumH * scale;
      const drift = s[S.REFERENCE] - s[S.SLOW];
      const rms = Math.sqrt(s[S.MEAN_SQ_DIFF] / 2);
      const onsetScale = rms > scale ? rms : scale;
      if (s[S.UP] > h) this.raise(this.shiftKind(1, scale), 1, x);
      else if (s[S.DOWN] > h) this.raise(this.shiftKind(-1, scale), -1, x);
      else if (this.onsetBeyond(S.ONSET_SHORT, Onset.SHORT_WINDOW, s[S.ONSET_LIMIT_SHORT], s[S.ONSET_LAG_SHORT], drift, onsetScale, allowance)) this.raiseOnset(S.ONSET_SHORT, Onset.SHORT_WINDOW, scale, x);
      else if (this.onsetBeyond(S.ONSET_LONG, Onset.LONG_WINDOW, s[S.ONSET_LIMIT_LONG], s[S.ONSET_LAG_LONG], drift, onsetScale, allowance)) this.raiseOnset(S.ONSET_LONG, Onset.LONG_WINDOW, scale, x);
      else if (absRate > this.trendLimit(scale, dt)) this.raise(Kind.TREND, rate > 0 ? 1 : -1, x);
      else if (drift > c.driftLimit || drift < -c.driftLimit) this.raise(Kind.TREND, drift > 0 ? 1 : -1, x);
      return;
    }
    if (s[S.KIND] === Kind.SHIFT && this.keepsRising(x, scale)) {
      s[S.KIND] = Kind.TREND;
      s[S.EVENT] = Event.UPDATE;
    }
    // The condition lasts while the readings, averaged over trendTauMs, stay beyond half the
    // departure seen at the start (and beyond the in-control band) on the alert's side.
    const band = c.cusumK * scale + allowance;
    const half = s[S.MAGNITUDE] / 2;
    s[S.ALERT_LEVEL] += s[S.A_TREND] * ((x - s[S.BASELINE]) * s[S.DIRECTION] - s[S.ALERT_LEVEL]);
    if (s[S.ALERT_LEVEL] <= (half > band ? half : band)) {
      if (++s[S.CALM] >= c.returnSamples) {
        this.finish(Reason.RETURNED);
        this.restartAt(s[S.BASELINE]);
      }
      return;
    }
    s[S.CALM] = 0;
    if (timeMs - s[S.STEADY_SINCE] >= c.acceptAfterMs) {
      // Steady at a new level: accept it. Every level estimate restarts there.
      const level = s[S.L1];
      this.finish(Reason.REBASELINED);
      s[S.BASELINE] = level;
      this.restartAt(level);
    }
  }

  /**
   * A CUSUM alarm is a level shift, or a trend when the departure grew during the run: the
   * least-squares rise of x - reference over the run exceeds half its mean departure and three
   * standard errors (a step gives a flat run; where noise hides the shape it is called a shift).
   * Returns the kind's code.
   */
  private shiftKind(direction: number, scale: number): number {
    const s = this.s;
    const n = s[S.RUN_N];
    if (n < 3) return Kind.SHIFT;
    const sumI = (n * (n - 1)) / 2;
    const sumII = ((n - 1) * n * (2 * n - 1)) / 6;
    const rise = ((n * s[S.RUN_SUM_IE] - sumI * s[S.RUN_SUM_E]) / (n * sumII - sumI * sumI)) * (n - 1) * direction;
    const mean = (s[S.RUN_SUM_E] / n) * direction;
    const se = scale * Math.sqrt(12 / (n * (n * n - 1))) * (n - 1);
    return rise > mean / 2 && rise > 3 * se ? Kind.TREND : Kind.SHIFT;
  }

  /**
   * A trend-onset test (the RampOnset block at `at`, window m): its window full and |D| beyond
   * `limitPerScale` × `onsetScale` + allowance. `onsetScale` is the standard deviation from the
   * mean square difference, σ² = E[d²]/2, when that exceeds the scale: quantised readings (σ near
   * half a step) make E|d| read up to 13 % low, and a threshold far out in the normal tail needs
   * the true spread. D is taken less the part a slow trend gives it (the reference lags a trend
   * of slope b by b·τ): b is estimated from the reference's lead on the 30-minute average,
   * (reference - slow)/τ_slow, so a daily swing does not eat into the limit while a ramp's own
   * first samples barely move that estimate. `drift`: reference - slow.
   */
  private onsetBeyond(at: number, m: number, limitPerScale: number, lagRatio: number, drift: number, onsetScale: number, allowance: number): boolean {
    const s = this.s;
    if (rampOnsetCount(s, at) < m) return false;
    const d = rampOnsetDeparture(s, at) - drift * lagRatio;
    const limit = limitPerScale * onsetScale + allowance;
    return d > limit || d < -limit;
  }

  /**
   * Raises an onset alarm (the RampOnset block at `at`, window m): a `trend` when the window's
   * readings rose by over half their mean departure and three standard errors of a difference
   * (√2·scale), else a `shift` (which becomes a trend once the readings are seen to keep rising,
   * see keepsRising).
   */
  private raiseOnset(at: number, m: number, scale: number, x: number): void {
    const s = this.s;
    const direction = rampOnsetDeparture(s, at) > 0 ? 1 : -1;
    const rise = rampOnsetRise(s, at, m) * direction;
    const kind = rise > (rampOnsetMean(s, at, m) * direction) / 2 && rise > 3 * Math.SQRT2 * scale ? Kind.TREND : Kind.SHIFT;
    this.raise(kind, direction, x);
  }

  /**
   * A shift alert whose readings keep moving away is a trend: the least-squares rise of x over
   * the alert's samples (from the 10th on) exceeds the departure it started with and three
   * standard errors.
   */
  private keepsRising(x: number, scale: number): boolean {
    const s = this.s;
    const n = ++s[S.ALERT_N];
    const y = (x - s[S.BASELINE]) * s[S.DIRECTION];
    s[S.ALERT_SUM_Y] += y;
    s[S.ALERT_SUM_IY] += (n - 1) * y;
    if (n < 10) return false;
    const sumI = (n * (n - 1)) / 2;
    const sumII = ((n - 1) * n * (2 * n - 1)) / 6;
    const rise = ((n * s[S.ALERT_SUM_IY] - sumI * s[S.ALERT_SUM_Y]) / (n * sumII - sumI * sumI)) * (n - 1);
    const se = scale * Math.sqrt(12 / (n * (n * n - 1))) * (n - 1);
    return rise > s[S.MAGNITUDE] && rise > 3 * se;
  }

  /** Raises an alert of kind code `kind`. */
  private raise(kind: number, direction: number, x: number): void {
    const s = this.s;
    s[S.STEADY_SINCE] = s[S.LAST_T];
    s[S.ALERT_N] = 0;
    s[S.ALERT_SUM_Y] = 0;
    s[S.ALERT_SUM_IY] = 0;
    s[S.ACTIVE] = 1;
    s[S.KIND] = kind;
    s[S.DIRECTION] = direction;
    const baseline = s[S.REFERENCE];
    s[S.BASELINE] = baseline;
    const m = (x - baseline) * direction;
    const magnitude = m > 0 ? m : 0;
    s[S.MAGNITUDE] = magnitude;
    s[S.ALERT_LEVEL] = magnitude;
    s[S.CALM] = 0;
    s[S.ALERTS]++;
    s[S.EVENT] = Event.START;
  }

  /** After an alert: the level estimates restart at `level` (the jump back or the new level is not a trend). */
  private restartAt(level: number): void {
    const s = this.s;
    s[S.REFERENCE] = level;
    s[S.SLOW] = level;
    s[S.L1] = level;
    s[S.L2] = level;
    s[S.RATE_PER_MIN] = 0;
    rampOnsetReset(s, S.ONSET_SHORT);
    rampOnsetReset(s, S.ONSET_LONG);
  }

  /** Ends the alert with reason code `reason`. */
  private finish(reason: number): void {
    const s = this.s;
    s[S.ACTIVE] = 0;
    s[S.END_REASON] = reason;
    s[S.EVENT] = Event.END;
    s[S.UP] = 0;
    s[S.DOWN] = 0;
    s[S.CALM] = 0;
  }
}
