/**
 * Per-period summary for telemetry: count, mean, min, max, std, first, last and the period's
 * first and last sample times. The caller decides when a period ends (its telemetry timer) and
 * calls `takeInto`, which writes into the caller's object and starts a new period. Mean and
 * variance use Welford's update, stable over periods of any length.
 *
 * With count 0 every value field is 0: check `count` before publishing.
 */
export interface PeriodSummary {
  count: number;
  mean: number;
  min: number;
  max: number;
  /** Sample standard deviation (n - 1 divisor); 0 with fewer than 2 samples. */
  std: number;
  first: number;
  last: number;
  firstTimeMs: number;
  lastTimeMs: number;
}

export function emptySummary(): PeriodSummary {
  return { count: 0, mean: 0, min: 0, max: 0, std: 0, first: 0, last: 0, firstTimeMs: 0, lastTimeMs: 0 };
}

export class PeriodAggregator {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private min = 0;
  private max = 0;
  private first = 0;
  private last = 0;
  private firstTimeMs = 0;
  private lastTimeMs = 0;

  get count(): number {
    return this.n;
  }

  add(x: number, timeMs: number): void {
    const n = ++this.n;
    if (n === 1) {
      this.mean = x;
      this.m2 = 0;
      this.min = x;
      this.max = x;
      this.first = x;
      this.firstTimeMs = timeMs;
    } else {
      const d = x - this.mean;
      this.mean += d / n;
      this.m2 += d * (x - this.mean);
      if (x < this.min) this.min = x;
      if (x > this.max) this.max = x;
    }
    this.last = x;
    this.lastTimeMs = timeMs;
  }

  /** Writes the current period's summary into `into` and returns it. */
  summaryInto(into: PeriodSummary): PeriodSummary {
    const n = this.n;
    into.count = n;
    into.mean = this.mean;
    into.min = this.min;
    into.max = this.max;
    into.std = n < 2 ? 0 : Math.sqrt(this.m2 / (n - 1));
    into.first = this.first;
    into.last = this.last;
    into.firstTimeMs = this.firstTimeMs;
    into.lastTimeMs = this.lastTimeMs;
    return into;
  }

  /** Writes the summary into `into`, then starts a new period. */
  takeInto(into: PeriodSummary): PeriodSummary {
    this.summaryInto(into);
    this.clear();
    return into;
  }

  clear(): void {
    this.n = 0;
    this.mean = 0;
    this.m2 = 0;
    this.min = 0;
    this.max = 0;
    this.first = 0;
    this.last = 0;
    this.firstTimeMs = 0;
    this.lastTimeMs = 0;
  }
}
