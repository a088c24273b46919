import { ChangeDetector, type ChangeDetectorOptions, type ChangeEvent, type ChangeKind } from './change-detector';
import { Ewma } from './ewma';
import { PeriodAggregator, type PeriodSummary } from './period-summary';
import { WindowStats } from './window-stats';

export interface SensorAnalyticsOptions {
  /** Window size in samples. Default 60. */
  window?: number;
  /** EWMA smoothing factor in (0, 1]. Default 0.1. */
  ewmaAlpha?: number;
  /** Options of the change detector (spikes, level shifts, trends). */
  detector?: ChangeDetectorOptions;
}

/** What one push produced. SensorAnalytics reuses a single instance: copy what you keep. */
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

/**
 * All analytics for one sensor behind a single per-sample entry point, `push(value, timeMs)`:
 * change detection (ChangeDetector: spikes, level shifts, trends), window statistics, EWMA and
 * the period aggregate. Fixed-size state, nothing allocated per sample.
 *
 * NaN or ±Infinity (value or time) is refused: counted in `rejected`, reported with
 * `accepted: false`, and never enters any statistic.
 */
export class SensorAnalytics {
  readonly id: string;
  readonly window: WindowStats;
  readonly ewma: Ewma;
  readonly detector: ChangeDetector;
  readonly period = new PeriodAggregator();
  readonly result: SampleResult;
  /** Samples accepted since construction. */
  accepted = 0;
  /** Samples refused (non-finite) since construction. */
  rejected = 0;

  constructor(id: string, options: SensorAnalyticsOptions = {}) {
    const size = options.window ?? 60;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`analytics window must be a positive integer, got ${size}`);
    this.id = id;
    this.window = new WindowStats(size);
    this.ewma = new Ewma(options.ewmaAlpha ?? 0.1);
    this.detector = new ChangeDetector(options.detector);
    this.result = {
      sensorId: id,
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

  /** Processes one sample; returns the shared result object, rewritten. */
  push(value: number, timeMs: number): SampleResult {
    const r = this.result;
    const w = this.window;
    r.value = value;
    r.timeMs = timeMs;
    // x - x is NaN exactly for NaN and ±Infinity: one test for both.
    if (value - value !== 0 || timeMs - timeMs !== 0) {
      this.rejected++;
      r.accepted = false;
      r.z = 0;
      r.alert = 'none';
      r.rejected = this.rejected;
      return r;
    }
    const d = this.detector;
    d.push(value, timeMs);
    w.push(value, timeMs);
    this.period.add(value, timeMs);
    this.accepted++;
    r.accepted = true;
    r.count = w.count;
    r.mean = w.mean;
    const variance = w.variance;
    r.variance = variance;
    r.std = Math.sqrt(variance);
    r.min = w.min;
    r.max = w.max;
    r.ewma = this.ewma.push(value);
    r.ratePerMinute = w.ratePerMinute;
    r.z = d.score;
    r.alert = d.event;
    r.alertActive = d.active;
    r.alertKind = d.active || d.event === 'end' ? d.kind : undefined;
    r.rejected = this.rejected;
    return r;
  }

  /** The current period's summary, written into `into`. */
  summaryInto(into: PeriodSummary): PeriodSummary {
    return this.period.summaryInto(into);
  }

  /** The current period's summary, written into `into`; a new period starts. */
  takeSummaryInto(into: PeriodSummary): PeriodSummary {
    return this.period.takeInto(into);
  }

  /** Forgets all samples and alert state (counters of accepted/rejected samples stay). */
  clear(): void {
    this.window.clear();
    this.ewma.clear();
    this.detector.clear();
    this.period.clear();
  }
}
