/**
 * Z-score anomaly detection with hysteresis.
 *
 * A new sample is judged against the window statistics from BEFORE it is added, so an outlier
 * cannot dilute its own score. Nothing is judged until the window holds `minSamples` samples.
 *
 * Zero (or tiny) variance: the standard deviation is floored at `minStd` (value units), so
 * z = (x - mean) / max(std, minStd) is always finite: 0 when x equals the mean, and a large
 * but finite score otherwise. Set `minStd` near the sensor's resolution so one quantization step
 * on a perfectly steady window is not an anomaly.
 *
 * Hysteresis: an alert is raised once when |z| >= threshold, and cleared once after
 * `clearSamples` consecutive judged samples with |z| < clearThreshold. A sustained excursion
 * therefore yields one 'raised' and one 'cleared' event, not one per sample.
 */
export interface AnomalyOptions {
  /** |z| at or above which a sample is anomalous. Default 3. */
  threshold?: number;
  /** |z| below which a sample counts towards clearing an active alert. Default min(2, threshold). */
  clearThreshold?: number;
  /** Consecutive calm samples needed to clear an alert. Default 3. */
  clearSamples?: number;
  /** Window size below which nothing is judged. Default 10. */
  minSamples?: number;
  /** Floor for the standard deviation, in value units. Default 0.01. */
  minStd?: number;
}

export type AlertEvent = 'none' | 'raised' | 'cleared';

export class AnomalyDetector {
  readonly threshold: number;
  readonly clearThreshold: number;
  readonly clearSamples: number;
  readonly minSamples: number;
  readonly minStd: number;

  /** Score of the last judged sample (0 when not judged). */
  z = 0;
  /** Whether the last sample was judged (enough samples in the window). */
  judged = false;
  /** Whether the last sample's |z| reached the threshold. */
  anomalous = false;
  /** What the last sample did to the alert state. */
  event: AlertEvent = 'none';
  /** An alert is raised and not yet cleared. */
  active = false;
  /** Sign of the excursion that raised the active alert (+1 high, -1 low, 0 none). */
  direction = 0;
  /** Alerts raised since construction. */
  alerts = 0;
  private calm = 0;

  constructor(options: AnomalyOptions = {}) {
    this.threshold = options.threshold ?? 3;
    this.clearThreshold = options.clearThreshold ?? Math.min(2, this.threshold);
    this.clearSamples = options.clearSamples ?? 3;
    this.minSamples = options.minSamples ?? 10;
    this.minStd = options.minStd ?? 0.01;
    if (!(this.threshold > 0)) throw new RangeError(`anomaly threshold must be > 0, got ${this.threshold}`);
    if (!(this.clearThreshold > 0 && this.clearThreshold <= this.threshold)) {
      throw new RangeError(`anomaly clearThreshold must be in (0, threshold], got ${this.clearThreshold}`);
    }
    if (!(Number.isInteger(this.clearSamples) && this.clearSamples >= 1)) {
      throw new RangeError(`anomaly clearSamples must be an integer >= 1, got ${this.clearSamples}`);
    }
    if (!(Number.isInteger(this.minSamples) && this.minSamples >= 2)) {
      throw new RangeError(`anomaly minSamples must be an integer >= 2, got ${this.minSamples}`);
    }
    if (!(this.minStd > 0 && this.minStd < Infinity)) throw new RangeError(`anomaly minStd must be finite and > 0, got ${this.minStd}`);
  }

  /** Judges x against a window of `count` samples with the given mean and std (before x is added). */
  judge(x: number, count: number, mean: number, std: number): AlertEvent {
    this.event = 'none';
    if (count < this.minSamples) {
      this.z = 0;
      this.judged = false;
      this.anomalous = false;
      return 'none';
    }
    const d = x - mean;
    const z = d === 0 ? 0 : d / (std > this.minStd ? std : this.minStd);
    const size = z < 0 ? -z : z;
    this.z = z;
    this.judged = true;
    this.anomalous = size >= this.threshold;
    if (!this.active) {
      if (this.anomalous) {
        this.active = true;
        this.direction = z > 0 ? 1 : -1;
        this.calm = 0;
        this.alerts++;
        this.event = 'raised';
      }
    } else if (size < this.clearThreshold) {
      if (++this.calm >= this.clearSamples) {
        this.active = false;
        this.direction = 0;
        this.calm = 0;
        this.event = 'cleared';
      }
    } else {
      this.calm = 0;
    }
    return this.event;
  }

  clear(): void {
    this.z = 0;
    this.judged = false;
    this.anomalous = false;
    this.event = 'none';
    this.active = false;
    this.direction = 0;
    this.calm = 0;
  }
}
