import { emptySampleResult, SensorAnalytics, SensorAnalyticsSettings, type SampleResult, type SensorAnalyticsOptions } from './sensor-analytics';

export interface AnalyticsRegistryOptions {
  /** Most sensors tracked at once. Default 8. */
  maxSensors?: number;
  /** Options for every sensor's analytics. */
  sensor?: SensorAnalyticsOptions;
}

/**
 * Per-sensor analytics keyed by sensor id, with a fixed maximum number of sensors so memory
 * stays bounded on the device. A sample for a new sensor beyond the maximum throws an Error
 * ("analytics: cannot track sensor ...: limit of N sensors reached"); nothing is evicted
 * silently. Remove a sensor to make room.
 *
 * All its sensors share one frozen SensorAnalyticsSettings and one SampleResult (what `push`
 * returns is rewritten by the next push of any sensor: copy what you keep).
 */
export class AnalyticsRegistry {
  readonly maxSensors: number;
  private readonly settings: SensorAnalyticsSettings;
  private readonly result: SampleResult = emptySampleResult();
  private readonly sensors = new Map<string, SensorAnalytics>();

  constructor(options: AnalyticsRegistryOptions = {}) {
    const max = options.maxSensors ?? 8;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxSensors must be a positive integer, got ${max}`);
    this.maxSensors = max;
    this.settings = new SensorAnalyticsSettings(options.sensor);
  }

  get size(): number {
    return this.sensors.size;
  }

  /** The sensor's analytics, or undefined when it is not tracked. */
  get(id: string): SensorAnalytics | undefined {
    return this.sensors.get(id);
  }

  has(id: string): boolean {
    return this.sensors.has(id);
  }

  /** The sensor's analytics, created on first use; throws when the limit is reached. */
  sensor(id: string): SensorAnalytics {
    let s = this.sensors.get(id);
    if (s === undefined) {
      if (this.sensors.size >= this.maxSensors) {
        throw new Error(`analytics: cannot track sensor "${id}": limit of ${this.maxSensors} sensors reached`);
      }
      s = new SensorAnalytics(id, this.settings, this.result);
      this.sensors.set(id, s);
    }
    return s;
  }

  /** Pushes one sample for sensor `id` (see SensorAnalytics.push). */
  push(id: string, value: number, timeMs: number): SampleResult {
    return this.sensor(id).push(value, timeMs);
  }

  /** Stops tracking a sensor; returns whether it was tracked. */
  remove(id: string): boolean {
    return this.sensors.delete(id);
  }

  /** Calls `fn` for each tracked sensor, in the order they were added. */
  forEach(fn: (sensor: SensorAnalytics, id: string) => void): void {
    this.sensors.forEach(fn);
  }
}
