import { checkDequeCapacity, dequeIndices, dequeUpdate, type DequeIndices } from './monotonic-deque';
import { sumsAdd, sumsCount, sumsM2, sumsMean, sumsRemove, sumsReset, sumsSlope, SumsLayout } from './shifted-sums';

/*
 * State layout. All numbers of a window live in one Float64Array `d` and the two deques' slot
 * indices in one index array `q` (the minimum's in q[0 .. capacity), the maximum's after it;
 * Uint8Array up to 256 slots, else Uint16Array):
 * in XS every object costs a slot per property and every typed array several slots, so the
 * rings, sums and deques as objects of their own cost 76 slots per window; this is 4 slots and
 * two typed arrays. The indices are a frozen object (module-level values must be frozen).
 */
/** Where the sums start: after the rings' head and size and the deques' heads and sizes. */
const LIVE = 6;
const W = Object.freeze({
  /** The two rings (values, times) advance together: one head (index of the oldest) and size. */
  HEAD: 0,
  SIZE: 1,
  /** Head and size of the minimum's and the maximum's deque (see dequeUpdate). */
  MIN_HS: 2,
  MAX_HS: 4,
  /** The live sums and the ones being rebuilt (see shifted-sums). */
  LIVE,
  NEXT: LIVE + SumsLayout.SIZE,
  /** The ring of values, then the ring of times (ms), `capacity` slots each. */
  VALUES: LIVE + 2 * SumsLayout.SIZE,
  /** Fields of the live sums read on every sample (fixed indices: no offset arithmetic per read). */
  LIVE_N: LIVE + SumsLayout.N,
  LIVE_K: LIVE + SumsLayout.K,
  LIVE_SX: LIVE + SumsLayout.SX,
});

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
 *
 * Memory: (22 + 2·capacity)·8 bytes of numbers and 2·capacity indices of 1 byte (capacity
 * <= 256) or 2 in two typed arrays (1,136 + 120 B at 60).
 * Throws RangeError for a capacity that is not an integer in 1..65536.
 */
export class WindowStats {
  readonly capacity: number;
  /** Numbers (layout above). */
  private readonly d: Float64Array;
  /** Deque slot indices: minimum's, then maximum's. */
  private readonly q: DequeIndices;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    }
    checkDequeCapacity(capacity);
    this.capacity = capacity;
    this.d = new Float64Array(W.VALUES + 2 * capacity);
    this.q = dequeIndices(capacity, 2 * capacity);
  }

  /** Adds a sample, evicting the oldest when the window is full. Callers pass finite numbers. */
  push(x: number, timeMs: number): void {
    const d = this.d;
    const cap = this.capacity;
    const times = W.VALUES + cap;
    const head = d[W.HEAD];
    const size = d[W.SIZE];
    if (size === cap) sumsRemove(d, W.LIVE, d[W.VALUES + head], d[times + head]);
    let slot = head + size;
    if (slot >= cap) slot -= cap;
    d[W.VALUES + slot] = x;
    d[times + slot] = timeMs;
    if (size === cap) d[W.HEAD] = head + 1 === cap ? 0 : head + 1;
    else d[W.SIZE] = size + 1;
    if (sumsCount(d, W.LIVE) === 0) {
      sumsReset(d, W.LIVE, x, timeMs);
      sumsReset(d, W.NEXT, x, timeMs);
    }
    sumsAdd(d, W.LIVE, x, timeMs);
    sumsAdd(d, W.NEXT, x, timeMs);
    if (sumsCount(d, W.NEXT) === cap) {
      d.copyWithin(W.LIVE, W.NEXT, W.NEXT + SumsLayout.SIZE);
      sumsReset(d, W.NEXT, sumsMean(d, W.LIVE), timeMs);
    }
    const q = this.q;
    dequeUpdate(q, 0, d, W.MIN_HS, d, W.VALUES, cap, slot, false);
    dequeUpdate(q, cap, d, W.MAX_HS, d, W.VALUES, cap, slot, true);
  }

  get count(): number {
    return this.d[W.SIZE];
  }

  get full(): boolean {
    return this.d[W.SIZE] === this.capacity;
  }

  /** Mean of the window (0 when empty); sumsMean inlined, it is read on every sample. */
  get mean(): number {
    const d = this.d;
    const n = d[W.LIVE_N];
    return n === 0 ? 0 : d[W.LIVE_K] + d[W.LIVE_SX] / n;
  }

  /** Sample variance (n - 1 divisor); 0 with fewer than 2 samples. */
  get variance(): number {
    const n = this.d[W.LIVE_N];
    return n < 2 ? 0 : sumsM2(this.d, W.LIVE) / (n - 1);
  }

  get std(): number {
    return Math.sqrt(this.variance);
  }

  /** Smallest value in the window (NaN when empty): the value in the minimum deque's front slot. */
  get min(): number {
    const d = this.d;
    return d[W.MIN_HS + 1] === 0 ? NaN : d[W.VALUES + this.q[d[W.MIN_HS]]];
  }

  /** Largest value in the window (NaN when empty): the value in the maximum deque's front slot. */
  get max(): number {
    const d = this.d;
    return d[W.MAX_HS + 1] === 0 ? NaN : d[W.VALUES + this.q[this.capacity + d[W.MAX_HS]]];
  }

  /** Least-squares slope over the window, value units per minute. */
  get ratePerMinute(): number {
    return sumsSlope(this.d, W.LIVE) * 60000;
  }

  /** The i-th value in the window, 0 the oldest (NaN when out of range). */
  valueAt(i: number): number {
    return this.at(W.VALUES, i);
  }

  /** The i-th timestamp in the window, 0 the oldest (NaN when out of range). */
  timeAt(i: number): number {
    return this.at(W.VALUES + this.capacity, i);
  }

  clear(): void {
    const d = this.d;
    d[W.HEAD] = 0;
    d[W.SIZE] = 0;
    sumsReset(d, W.LIVE, 0, 0);
    sumsReset(d, W.NEXT, 0, 0);
    d[W.MIN_HS] = 0;
    d[W.MIN_HS + 1] = 0;
    d[W.MAX_HS] = 0;
    d[W.MAX_HS + 1] = 0;
  }

  /** The i-th entry of the ring at `ring`, 0 the oldest. */
  private at(ring: number, i: number): number {
    const d = this.d;
    if (i < 0 || i >= d[W.SIZE]) return NaN;
    let index = d[W.HEAD] + i;
    if (index >= this.capacity) index -= this.capacity;
    return d[ring + index];
  }
}
