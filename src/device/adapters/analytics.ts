/**
 * Binds the AnalyticsFactory port to src/analytics: a sliding window (WindowStats) for the
 * statistics, the change detector (ChangeDetector: spikes, level shifts, trends) for anomaly
 * alerts, and the period aggregate (period-summary's block functions, on a block inside the
 * detector's state array).
 *
 * The detector is told the sensor's quantisation step (from the resolution) and the spike limit
 * (the configuration's anomalyThreshold) at run time; both keep its state, so a configuration
 * change never starts or ends an alert by itself.
 */
import { ChangeDetector, ChangeDetectorSettings, type ChangeDetectorOptions } from '../../analytics/change-detector';
import { emptySummary, periodAdd, periodClear, PeriodLayout, periodSummaryInto, type PeriodSummary } from '../../analytics/period-summary';
import { WindowStats } from '../../analytics/window-stats';
import type { AnalyticsFactory, AnomalyAlert, AnomalyTransition, PeriodAggregate, SensorAnalytics, SensorStats } from '../ports';

export interface WindowAnalyticsOptions {
  /** Window size in samples. Default 60. */
  window?: number;
  /** Detector options other than the spike limit and the step (which the configuration sets). */
  detector?: Omit<ChangeDetectorOptions, 'spikeThreshold' | 'step'>;
}

/** DS18B20 quantisation step at 9..12 bits, °C (datasheet: 0.5, 0.25, 0.125, 0.0625). */
export function stepForResolution(bits: number): number {
  const b = bits >= 9 && bits <= 12 ? Math.round(bits) : 12;
  return 0.0625 * (1 << (12 - b));
}

/** The period aggregate's block in the detector's state array (ChangeDetector hostState). */
const PERIOD_AT = ChangeDetector.HOSTED_AT;

class WindowAnalytics implements SensorAnalytics {
  private readonly window: WindowStats;
  /** Scratch for takeAggregate, shared by every sensor of a factory (copied out at once). */
  private readonly summary: PeriodSummary;
  private readonly detector: ChangeDetector;
  private alert: AnomalyAlert | undefined = undefined;
  /**
   * Sum of calibration changes: samples are kept as (value - bias) and reported + bias, so a
   * recalibration shifts the whole window and period in O(1) without touching their sums.
   */
  private bias = 0;

  /** `detector`: the settings every sensor of the factory shares (frozen, made once); `summary`: the factory's scratch. */
  constructor(threshold: number, window: number, detector: ChangeDetectorSettings, summary: PeriodSummary) {
    this.summary = summary;
    this.window = new WindowStats(window);
    // The period aggregate lives in the detector's state array: one typed array less per sensor.
    this.detector = new ChangeDetector(detector, PeriodLayout.SIZE);
    this.detector.setSpikeThreshold(threshold);
  }

  push(value: number, timeMs: number): { stats: SensorStats; transition: AnomalyTransition } {
    if (!Number.isFinite(value) || !Number.isFinite(timeMs)) return { stats: this.stats(), transition: undefined };
    const x = value - this.bias;
    const d = this.detector;
    const event = d.push(x, timeMs);
    this.window.push(x, timeMs);
    periodAdd(d.hostState, PERIOD_AT, x, timeMs);
    let transition: AnomalyTransition = undefined;
    if (event === 'start' || event === 'update') {
      this.alert = { kind: d.kind, direction: d.direction, baseline: d.baseline + this.bias };
      transition = event;
    } else if (event === 'end') {
      this.alert = { kind: d.kind, direction: d.direction, baseline: d.baseline + this.bias, reason: d.endReason };
      transition = 'end';
    }
    const stats = this.stats();
    if (transition === 'end') this.alert = undefined;
    return { stats, transition };
  }

  stats(): SensorStats {
    const w = this.window;
    const n = w.count;
    const stats: SensorStats = {
      count: n,
      mean: n > 0 ? w.mean + this.bias : 0,
      std: n > 0 ? w.std : 0,
      min: n > 0 ? w.min + this.bias : 0,
      max: n > 0 ? w.max + this.bias : 0,
      z: this.detector.score,
      anomaly: this.detector.active,
    };
    if (this.alert !== undefined) stats.alert = this.alert;
    return stats;
  }

  recalibrate(delta: number): void {
    if (Number.isFinite(delta)) this.bias += delta;
  }

  setThreshold(z: number): void {
    this.detector.setSpikeThreshold(z);
  }

  setResolution(bits: number): void {
    this.detector.setStep(stepForResolution(bits));
  }

  interrupt(reason: 'missing' | 'faulty'): { stats: SensorStats; transition: AnomalyTransition } {
    const d = this.detector;
    const was = this.alert;
    if (!d.interrupt() || was === undefined) return { stats: this.stats(), transition: undefined };
    this.alert = { kind: was.kind, direction: was.direction, baseline: was.baseline, reason };
    const stats = this.stats();
    this.alert = undefined;
    return { stats, transition: 'end' };
  }

  takeAggregate(): PeriodAggregate | undefined {
    const state = this.detector.hostState;
    const s = periodSummaryInto(state, PERIOD_AT, this.summary);
    periodClear(state, PERIOD_AT);
    if (s.count === 0) return undefined;
    const b = this.bias;
    return { count: s.count, mean: s.mean + b, min: s.min + b, max: s.max + b, std: s.std, first: s.first + b, last: s.last + b };
  }
}

/** The factory validates the detector options once; all its sensors share the frozen settings and one summary scratch. */
export function windowAnalytics(options: WindowAnalyticsOptions = {}): AnalyticsFactory {
  const window = options.window ?? 60;
  const detector = new ChangeDetectorSettings(options.detector);
  const summary = emptySummary();
  return { create: (_id, threshold) => new WindowAnalytics(threshold, window, detector, summary) };
}
