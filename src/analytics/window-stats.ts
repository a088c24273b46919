import { MonotonicDeque } from './monotonic-deque';
import { Ring } from './ring';
import { ShiftedSums } from './shifted-sums';

/**
 * Statistics over a sliding window of the last `capacity` samples, each (value, timeMs):
 * count, mean, sample variance and standard deviation, minimum, maximum, and the rate of
 * change. Every push is O(1) (the min/max deques amortized O(1)) and allocation-free.
 *
 * Numerical stability: the moments are sums of deviations about a shift near the data, updated
 * by add/remove. Rounding in add/remove would drift over millions of samples, so a second set of
 * sums (`next`) is built from additions only, starting empty; after `capacity` more pushes it
 * holds exactly the current window and replaces the live sums, and a new one starts with its
 * shift at the current mean. No sum ever sees more than 3·capacity updates, so error stays
 * bounded by the window, not by the stream's length, at a cost of one extra add per sample.
 *
 * Variance is the sample variance (divisor n - 1); it is 0 for fewer than 2 samples.
 * Rate of change is the least-squares slope of value against time over the window, per minute:
 * it uses every sample, so one noisy endpoint does not swing it. 0 with fewer than 2 samples or
 * when all timestamps are equal.
 */
export class WindowStats {
  readonly capacity: number;
  private readonly values: Ring;
  private readonly times: Ring;
  private readonly live = new ShiftedSums();
  private readonly next = new ShiftedSums();
  private readonly minDeque: MonotonicDeque;
  private readonly maxDeque: MonotonicDeque;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.values = new Ring(capacity);
    this.times = new Ring(capacity);
    this.minDeque = new MonotonicDeque(this.values, 'min');
    this.maxDeque = new MonotonicDeque(this.values, 'max');
  }

  /** Adds a sample, evicting the oldest when the window is full. Callers pass finite numbers. */
  push(x: number, timeMs: number): void {
    const live = this.live;
    const next = this.next;
    if (this.values.full) live.remove(this.values.oldest(), this.times.oldest());
    this.values.push(x);
    this.times.push(timeMs);
    if (live.n === 0) {
      live.reset(x, timeMs);
      next.reset(x, timeMs);
    }
    live.add(x, timeMs);
    next.add(x, timeMs);
    if (next.n === this.capacity) {
      live.copyFrom(next);
      next.reset(live.mean(), timeMs);
    }
    this.minDeque.update();
    this.maxDeque.update();
  }

  get count(): number {
    return this.values.length;
  }

  get full(): boolean {
    return this.values.full;
  }

  /** Mean of the window (0 when empty). */
  get mean(): number {
    return this.live.mean();
  }

  /** Sample variance (n - 1 divisor); 0 with fewer than 2 samples. */
  get variance(): number {
    const n = this.live.n;
    return n < 2 ? 0 : this.live.m2() / (n - 1);
  }

  get std(): number {
    return Math.sqrt(this.variance);
  }

  /** Smallest value in the window (NaN when empty). */
  get min(): number {
    return this.minDeque.value;
  }

  /** Largest value in the window (NaN when empty). */
  get max(): number {
    return this.maxDeque.value;
  }

  /** Least-squares slope over the window, value units per minute. */
  get ratePerMinute(): number {
    return this.live.slope() * 60000;
  }

  /** The i-th value in the window, 0 the oldest. */
  valueAt(i: number): number {
    return this.values.at(i);
  }

  /** The i-th timestamp in the window, 0 the oldest. */
  timeAt(i: number): number {
    return this.times.at(i);
  }

  clear(): void {
    this.values.clear();
    this.times.clear();
    this.live.reset(0, 0);
    this.next.reset(0, 0);
    this.minDeque.clear();
    this.maxDeque.clear();
  }
}
