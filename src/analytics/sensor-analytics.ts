import { ChangeDetector, ChangeDetectorSettings, type ChangeDetectorOptions, type ChangeEvent, type ChangeKind } from './change-detector';
import { checkEwmaAlpha, ewmaClear, ewmaPush, ewmaValue, EwmaLayout } from './ewma';
import { periodAdd, periodClear, periodCount, periodSummaryInto, PeriodLayout, type PeriodSummary } from './period-summary';
import { WindowStats } from './window-stats';

export interface SensorAnalyticsOptions {
  /** Window size in samples. Default 60. */
  window?: number;
  /** EWMA smoothing factor in (0, 1]. Default 0.1. */
  ewmaAlpha?: number;
  /** Options of the change detector (spikes, level shifts, trends). */
  detector?: ChangeDetectorOptions;
}

/**
 * What one push produced. SensorAnalytics rewrites one object on every push, shared by every
 * sensor built with the same result (see the constructor; AnalyticsRegistry shares one among its
 * sensors): copy what you keep before the next push of any of them.
 */
export interface SampleResult {
  sensorId: string;
  /** False when the sample was refused (non-finite value or time); the state is unchanged. */
  accepted: boolean;
  value: number;
  timeMs: number;
  /** Window statistics after the sample (min, max and ewma are NaN while the window is empty). */
  count: number;
  mean: number;
  variance: number;
  std: number;
  min: number;
  max: number;
  ewma: number;
  /** Least-squares slope over the window, value units per minute. */
  ratePerMinute: number;
  /** Robust score of the sample: (value - reference) / noise scale (ChangeDetector.score); 0 when refused. */
  z: number;
  /** What the sample did to the anomaly alert ('none' when refused). */
  alert: ChangeEvent;
  alertActive: boolean;
  /** Kind of the active (or just ended) alert; undefined without one. */
  alertKind: ChangeKind | undefined;
  /** Samples refused so far for this sensor. */
  rejected: number;
}

/** A result object with no sample in it yet (stats as of an empty window). */
export function emptySampleResult(): SampleResult {
  return {
    sensorId: '',
    accepted: false,
    value: 0,
    timeMs: 0,
    count: 0,
    mean: 0,
    variance: 0,
    std: 0,
    min: NaN,
    max: NaN,
    ewma: NaN,
    ratePerMinute: 0,
    z: 0,
    alert: 'none',
    alertActive: false,
    alertKind: undefined,
    rejected: 0,
  };
}

/**
 * SensorAnalyticsOptions validated once and frozen: every sensor built with the same options
 * shares one instance (AnalyticsRegistry makes one for all its sensors), so none keeps a copy.
 * Throws RangeError on a window that is not a positive integer (at most 65,536), an alpha
 * outside (0, 1] or a detector option that is not finite and > 0.
 */
export class SensorAnalyticsSettings {
  readonly window: number;
  readonly ewmaAlpha: number;
  readonly detector: ChangeDetectorSettings;

  constructor(options: SensorAnalyticsOptions = {}) {
    const size = options.window ?? 60;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`analytics window must be a positive integer, got ${size}`);
    this.window = size;
    this.ewmaAlpha = checkEwmaAlpha(options.ewmaAlpha ?? 0.1);
    this.detector = new ChangeDetectorSettings(options.detector);
    Object.freeze(this);
  }
}

/*
 * State layout: the sensor's own numbers in one Float64Array (an XS object would cost a slot per
 * number, and the EWMA and period as objects of their own a few more each).
 */
const A = Object.freeze({
  ACCEPTED: 0,
  REJECTED: 1,
  EWMA: 2,
  PERIOD: 2 + EwmaLayout.SIZE,
  SIZE: 2 + EwmaLayout.SIZE + PeriodLayout.SIZE,
});

/**
 * All analytics for one sensor behind a single per-sample entry point, `push(value, timeMs)`:
 * change detection (ChangeDetector: spikes, level shifts, trends), window statistics, EWMA and
 * the period aggregate. Fixed-size state, nothing allocated per sample.
 *
 * NaN or ±Infinity (value or time) is refused: counted in `rejected`, reported with
 * `accepted: false`, and never enters any statistic.
 *
 * Memory (XS, window 60, settings and result shared): this object, its WindowStats and its
 * ChangeDetector, each a few properties over typed arrays; the configuration lives in the
 * shared settings, the EWMA, period aggregate and counters in one Float64Array here.
 * bench/analytics.ts measures the slots per sensor (`slotsPerSensor`).
 */
export class SensorAnalytics {
  readonly id: string;
  readonly settings: SensorAnalyticsSettings;
  readonly window: WindowStats;
  readonly detector: ChangeDetector;
  /** The result every push rewrites (shared with the other sensors given the same one). */
  readonly result: SampleResult;
  /** Counters, EWMA and period aggregate (layout above). */
  private readonly s: Float64Array;

  /**
   * `options`: a SensorAnalyticsSettings to share (validated options otherwise); `result`: the
   * object push rewrites, to share among sensors (a new one otherwise).
   */
  constructor(id: string, options: SensorAnalyticsOptions | SensorAnalyticsSettings = {}, result: SampleResult = emptySampleResult()) {
    const settings = options instanceof SensorAnalyticsSettings ? options : new SensorAnalyticsSettings(options);
    this.id = id;
    this.settings = settings;
    this.window = new WindowStats(settings.window);
    this.detector = new ChangeDetector(settings.detector);
    this.result = result;
    this.s = new Float64Array(A.SIZE);
  }

  /** Samples accepted since construction. */
  get accepted(): number {
    return this.s[A.ACCEPTED];
  }

  /** Samples refused (non-finite) since construction. */
  get rejected(): number {
    return this.s[A.REJECTED];
  }

  /** The EWMA (NaN before the first sample). */
  get ewma(): number {
    return ewmaValue(this.s, A.EWMA);
  }

  /** Samples in the current period. */
  get periodCount(): number {
    return periodCount(this.s, A.PERIOD);
  }

  /** Processes one sample; returns the result object, rewritten. */
  push(value: number, timeMs: number): SampleResult {
    const r = this.result;
    const s = this.s;
    r.sensorId = this.id;
    r.value = value;
    r.timeMs = timeMs;
    // x - x is NaN exactly for NaN and ±Infinity: one test for both.
    if (value - value !== 0 || timeMs - timeMs !== 0) {
      r.accepted = false;
      r.rejected = ++s[A.REJECTED];
      this.writeStats(r, ewmaValue(s, A.EWMA));
      r.z = 0;
      r.alert = 'none';
      return r;
    }
    const d = this.detector;
    d.push(value, timeMs);
    this.window.push(value, timeMs);
    periodAdd(s, A.PERIOD, value, timeMs);
    s[A.ACCEPTED]++;
    r.accepted = true;
    this.writeStats(r, ewmaPush(s, A.EWMA, this.settings.ewmaAlpha, value));
    r.z = d.score;
    r.alert = d.event;
    r.rejected = s[A.REJECTED];
    return r;
  }

  /** The current period's summary, written into `into`. */
  summaryInto(into: PeriodSummary): PeriodSummary {
    return periodSummaryInto(this.s, A.PERIOD, into);
  }

  /** The current period's summary, written into `into`; a new period starts. */
  takeSummaryInto(into: PeriodSummary): PeriodSummary {
    periodSummaryInto(this.s, A.PERIOD, into);
    periodClear(this.s, A.PERIOD);
    return into;
  }

  /** Forgets all samples and alert state (counters of accepted/rejected samples stay). */
  clear(): void {
    this.window.clear();
    ewmaClear(this.s, A.EWMA);
    this.detector.clear();
    periodClear(this.s, A.PERIOD);
  }

  /** The window statistics and alert state after this sensor's last accepted sample. */
  private writeStats(r: SampleResult, ewma: number): void {
    const w = this.window;
    const d = this.detector;
    r.count = w.count;
    r.mean = w.mean;
    const variance = w.variance;
    r.variance = variance;
    r.std = Math.sqrt(variance);
    r.min = w.min;
    r.max = w.max;
    r.ewma = ewma;
    r.ratePerMinute = w.ratePerMinute;
    const active = d.active;
    r.alertActive = active;
    r.alertKind = active || d.event === 'end' ? d.kind : undefined;
  }
}
