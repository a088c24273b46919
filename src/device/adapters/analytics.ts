/**
 * Binds the AnalyticsFactory port to src/analytics: a sliding window (WindowStats), the
 * z-score detector with hysteresis (AnomalyDetector) and the period aggregate (PeriodAggregator).
 *
 * Composed here rather than through analytics/SensorAnalytics because the live configuration
 * changes the anomaly threshold at run time: the detector is replaced, the window is kept.
 * Transitions come from the alert state changing, so replacing the detector mid-alert still
 * yields a matching 'end' (or a continued alert) and never a dangling 'start'.
 */
import { AnomalyDetector, type AnomalyOptions } from '../../analytics/anomaly';
import { emptySummary, PeriodAggregator, type PeriodSummary } from '../../analytics/period-summary';
import { WindowStats } from '../../analytics/window-stats';
import type { AnalyticsFactory, AnomalyTransition, PeriodAggregate, SensorAnalytics, SensorStats } from '../ports';

export interface WindowAnalyticsOptions {
  /** Window size in samples. Default 60. */
  window?: number;
  /** Detector options other than the threshold (which the configuration sets). */
  anomaly?: Omit<AnomalyOptions, 'threshold' | 'clearThreshold'>;
}

class WindowAnalytics implements SensorAnalytics {
  private readonly window: WindowStats;
  private readonly period = new PeriodAggregator();
  private readonly summary: PeriodSummary = emptySummary();
  private readonly options: WindowAnalyticsOptions;
  private detector: AnomalyDetector;
  private active = false;
  private lastZ = 0;
  /**
   * Sum of calibration changes: samples are kept as (value - bias) and reported + bias, so a
   * recalibration shifts the whole window and period in O(1) without touching their sums.
   */
  private bias = 0;

  constructor(threshold: number, options: WindowAnalyticsOptions) {
    this.options = options;
    this.window = new WindowStats(options.window ?? 60);
    this.detector = this.makeDetector(threshold);
  }

  private makeDetector(threshold: number): AnomalyDetector {
    return new AnomalyDetector({ ...this.options.anomaly, threshold, clearThreshold: Math.min(2, threshold * 0.67) });
  }

  push(value: number, timeMs: number): { stats: SensorStats; transition: AnomalyTransition } {
    if (!Number.isFinite(value) || !Number.isFinite(timeMs)) return { stats: this.stats(), transition: undefined };
    const w = this.window;
    const x = value - this.bias;
    this.detector.judge(x, w.count, w.mean, w.std);
    this.lastZ = this.detector.z;
    w.push(x, timeMs);
    this.period.add(x, timeMs);
    const was = this.active;
    this.active = this.detector.active;
    const transition: AnomalyTransition = was === this.active ? undefined : this.active ? 'start' : 'end';
    return { stats: this.stats(), transition };
  }

  stats(): SensorStats {
    const w = this.window;
    const n = w.count;
    return {
      count: n,
      mean: n > 0 ? w.mean + this.bias : 0,
      std: n > 0 ? w.std : 0,
      min: n > 0 ? w.min + this.bias : 0,
      max: n > 0 ? w.max + this.bias : 0,
      z: this.lastZ,
      anomaly: this.active,
    };
  }

  recalibrate(delta: number): void {
    if (Number.isFinite(delta)) this.bias += delta;
  }

  setThreshold(z: number): void {
    if (z === this.detector.threshold) return;
    this.detector = this.makeDetector(z);
  }

  takeAggregate(): PeriodAggregate | undefined {
    const s = this.period.takeInto(this.summary);
    if (s.count === 0) return undefined;
    const b = this.bias;
    return { count: s.count, mean: s.mean + b, min: s.min + b, max: s.max + b, std: s.std, first: s.first + b, last: s.last + b };
  }
}

export function windowAnalytics(options: WindowAnalyticsOptions = {}): AnalyticsFactory {
  return { create: (_id, threshold) => new WindowAnalytics(threshold, options) };
}
