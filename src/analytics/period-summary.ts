/**
 * Per-period summary for telemetry: count, mean, min, max, std, first, last and the period's
 * first and last sample times. The caller decides when a period ends (its telemetry timer) and
 * calls `takeInto`, which writes into the caller's object and starts a new period. Mean and
 * variance use Welford's update, stable over periods of any length.
 *
 * With count 0 every value field is 0: check `count` before publishing.
 *
 * Memory layout: the state is a block of PeriodLayout.SIZE numbers at offset `at` in a Float64Array
 * (periodAdd, periodSummaryInto, periodClear), so SensorAnalytics keeps it in its own state array;
 * the PeriodAggregator class wraps a block of its own.
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

export const PeriodLayout = Object.freeze({
  /** Offsets in a block: count, Welford's mean and M2, min, max, first, last and their times. */
  N: 0,
  MEAN: 1,
  M2: 2,
  MIN: 3,
  MAX: 4,
  FIRST: 5,
  LAST: 6,
  FIRST_TIME: 7,
  LAST_TIME: 8,
  /** Numbers in one period's block. */
  SIZE: 9,
});

/** Samples in the current period. */
export function periodCount(s: Float64Array, at: number): number {
  return s[at + PeriodLayout.N];
}

/** Adds a sample (finite value, time ms) to the period at `at`. */
export function periodAdd(s: Float64Array, at: number, x: number, timeMs: number): void {
  const n = ++s[at + PeriodLayout.N];
  if (n === 1) {
    s[at + PeriodLayout.MEAN] = x;
    s[at + PeriodLayout.M2] = 0;
    s[at + PeriodLayout.MIN] = x;
    s[at + PeriodLayout.MAX] = x;
    s[at + PeriodLayout.FIRST] = x;
    s[at + PeriodLayout.FIRST_TIME] = timeMs;
  } else {
    const d = x - s[at + PeriodLayout.MEAN];
    const mean = s[at + PeriodLayout.MEAN] + d / n;
    s[at + PeriodLayout.MEAN] = mean;
    s[at + PeriodLayout.M2] += d * (x - mean);
    if (x < s[at + PeriodLayout.MIN]) s[at + PeriodLayout.MIN] = x;
    if (x > s[at + PeriodLayout.MAX]) s[at + PeriodLayout.MAX] = x;
  }
  s[at + PeriodLayout.LAST] = x;
  s[at + PeriodLayout.LAST_TIME] = timeMs;
}

/** Writes the summary of the period at `at` into `into` and returns it. */
export function periodSummaryInto(s: Float64Array, at: number, into: PeriodSummary): PeriodSummary {
  const n = s[at + PeriodLayout.N];
  into.count = n;
  into.mean = s[at + PeriodLayout.MEAN];
  into.min = s[at + PeriodLayout.MIN];
  into.max = s[at + PeriodLayout.MAX];
  into.std = n < 2 ? 0 : Math.sqrt(s[at + PeriodLayout.M2] / (n - 1));
  into.first = s[at + PeriodLayout.FIRST];
  into.last = s[at + PeriodLayout.LAST];
  into.firstTimeMs = s[at + PeriodLayout.FIRST_TIME];
  into.lastTimeMs = s[at + PeriodLayout.LAST_TIME];
  return into;
}

/** Starts a new period at `at`. */
export function periodClear(s: Float64Array, at: number): void {
  s.fill(0, at, at + PeriodLayout.SIZE);
}

/** One period aggregate with a block of its own. */
export class PeriodAggregator {
  private readonly s = new Float64Array(PeriodLayout.SIZE);

  get count(): number {
    return this.s[PeriodLayout.N];
  }

  add(x: number, timeMs: number): void {
    periodAdd(this.s, 0, x, timeMs);
  }

  /** Writes the current period's summary into `into` and returns it. */
  summaryInto(into: PeriodSummary): PeriodSummary {
    return periodSummaryInto(this.s, 0, into);
  }

  /** Writes the summary into `into`, then starts a new period. */
  takeInto(into: PeriodSummary): PeriodSummary {
    periodSummaryInto(this.s, 0, into);
    periodClear(this.s, 0);
    return into;
  }

  clear(): void {
    periodClear(this.s, 0);
  }
}
