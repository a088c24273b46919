import { checkDequeCapacity, dequeIndexBytes, dequeIndices, dequeUpdate, type DequeIndices } from './monotonic-deque';
import { sumsAdd, sumsCount, sumsM2, sumsMean, sumsRemove, sumsReset, sumsSlope, SumsLayout } from './shifted-sums';

/*
 * State layout. A window is one ArrayBuffer (one chunk) seen through four typed arrays: the
 * numbers in a Float64Array `d` (layout W below), the ring of values as Float32 (`values`), the
 * ring of times as Int32 ms offsets from the anchor d[W.ANCHOR] (`times`), and the two deques'
 * slot indices (`q`: the minimum's in q[0 .. capacity), the maximum's after it; 1 byte each up to
 * 256 slots, else 2). In XS every object costs a slot per property and every typed array several
 * slots, so the rings, sums and deques as objects of their own cost 76 slots per window; this is
 * 4 properties, four views and one buffer (the capacity is a number in `d`). The indices are a
 * frozen object (module-level values must be frozen).
 */
/** Where the sums start: after the rings' head and size, the deques' heads and sizes, the anchor, the capacity. */
const LIVE = 8;
const W = Object.freeze({
  /** The two rings (values, times) advance together: one head (index of the oldest) and size. */
  HEAD: 0,
  SIZE: 1,
  /** Head and size of the minimum's and the maximum's deque (see dequeUpdate). */
  MIN_HS: 2,
  MAX_HS: 4,
  /** Time (whole ms) the ring of times counts from: a sample's time is ANCHOR + times[slot]. */
  ANCHOR: 6,
  /** The capacity (a number here, not a property: a property costs a slot per window). */
  CAP: 7,
  /** The live sums and the ones being rebuilt (see shifted-sums). */
  LIVE,
  NEXT: LIVE + SumsLayout.SIZE,
  /** Numbers in `d`. */
  END: LIVE + 2 * SumsLayout.SIZE,
  /** Fields of the live sums read on every sample (fixed indices: no offset arithmetic per read). */
  LIVE_N: LIVE + SumsLayout.N,
  LIVE_K: LIVE + SumsLayout.K,
  LIVE_SX: LIVE + SumsLayout.SX,
});
/** The range of a stored time offset (Int32). */
const OFFSET_MIN = -0x80000000;
const OFFSET_MAX = 0x7fffffff;
/** The widest span of times the window holds: 2^32 - 1 ms, 49.7 days. */
const SPAN_MAX = 0xffffffff;
/** The largest finite Float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Bytes of the one buffer a WindowStats of `capacity` samples holds: the sums, the Float32 value
 * and Int32 time rings (8 B a sample) and the two deques' indices (1 B a sample each up to 256
 * samples, 2 B above). What the window's length costs a sensor (src/device/heap-budget.ts).
 */
export function windowStatsBytes(capacity: number): number {
  return W.END * 8 + 8 * capacity + 2 * capacity * dequeIndexBytes(capacity);
}

/**
 * Statistics over a sliding window of the last `capacity` samples, each (value, timeMs):
 * count, mean, sample variance and standard deviation, minimum, maximum, and the rate of
 * change. Every push is O(1) (the min/max deques amortized O(1); see "Times" for the rare
 * O(capacity) re-anchoring) and allocation-free.
 *
 * Values are stored as Float32: a value enters the window as Math.fround(x), and everything
 * (sums, minimum, maximum, valueAt) sees that rounded value, so what a removal subtracts is
 * exactly what the addition added. The rounding error is at most 2^-24 relative (half an ulp):
 * below 1e-5 °C at 100 °C; DS18B20 readings (multiples of 1/16 °C) are exact, a calibrated
 * reading (value - bias) generally is not. So the mean, minimum and maximum are within
 * 2^-24·max|x| of the same statistics of the unrounded values, the standard deviation within
 * 2^-24·max|x|·sqrt(n/(n-1)). Values beyond Float32's range (|x| > 3.4e38) are stored as
 * ±3.4028235e38; below 2^-126 the error is absolute, at most 2^-150.
 *
 * Times are whole milliseconds: timeMs enters as Math.round(timeMs) (timeAt returns it, and the
 * slope uses it), stored as a 32-bit offset from an anchor kept as a Float64, so any time with
 * |t| < 2^53 fits. When a time's offset would leave the 32-bit range (the clock has moved more
 * than about 24.8 days from the anchor, or jumped: SNTP setting the clock, a clock going back)
 * the anchor moves to the middle of the window's times and the stored offsets are rewritten,
 * O(capacity), once per about 24.8 days of a steady clock. The window's times span at most
 * 2^32 - 1 ms (49.7 days): when a new time would widen it beyond that, the oldest samples leave
 * the window early, until the newest ones and the new time fit (a clock jump of more than 49.7
 * days, forward or back, leaves the new sample alone in the window). Re-anchoring also rebuilds
 * the sums from what is left, with their time shift at the new time, so a slope right after a
 * jump does not suffer from sums taken about a shift far from the window's times.
 *
 * Numerical stability: the moments are sums of deviations about a shift near the data, updated
 * by add/remove. Rounding in add/remove would drift over millions of samples, so a second set of
 * sums (`next`) is built from additions only, starting empty; after `capacity` more pushes it
 * holds exactly the current window and replaces the live sums, and a new one starts with its
 * shift at the current mean. No sum ever sees more than 3·capacity updates, so error stays
 * bounded by the window, not by the stream's length, at a cost of one extra add per sample. The
 * sums are Float64 and take the absolute times (anchor + offset, exact), so the slope is as
 * precise as with Float64 times.
 *
 * Variance is the sample variance (divisor n - 1); it is 0 for fewer than 2 samples.
 * Rate of change is the least-squares slope of value against time over the window, per minute:
 * it uses every sample, so one noisy endpoint does not swing it. 0 with fewer than 2 samples or
 * when all timestamps are equal.
 *
 * Memory: one buffer of 24·8 bytes of numbers, 2·4 bytes per slot for the rings and 2 indices
 * of 1 byte (capacity <= 256) or 2 per slot (792 B at 60; it was 1,256 B with Float64 rings).
 * Throws RangeError for a capacity that is not an integer in 1..65536.
 */
export class WindowStats {
  /** Numbers (layout above). */
  private readonly d: Float64Array;
  /** The ring of values (Float32). */
  private readonly values: Float32Array;
  /** The ring of times: ms from d[W.ANCHOR]. */
  private readonly times: Int32Array;
  /** Deque slot indices: minimum's, then maximum's. */
  private readonly q: DequeIndices;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    }
    checkDequeCapacity(capacity);
    const ringsAt = W.END * 8;
    const qAt = ringsAt + 8 * capacity;
    const buffer = new ArrayBuffer(windowStatsBytes(capacity));
    this.d = new Float64Array(buffer, 0, W.END);
    this.values = new Float32Array(buffer, ringsAt, capacity);
    this.times = new Int32Array(buffer, ringsAt + 4 * capacity, capacity);
    this.q = dequeIndices(capacity, 2 * capacity, buffer, qAt);
    this.d[W.CAP] = capacity;
  }

  /** Samples the window holds when full. */
  get capacity(): number {
    return this.d[W.CAP];
  }

  /** Adds a sample, evicting the oldest when the window is full. Callers pass finite numbers. */
  push(value: number, timeMs: number): void {
    // Whole ms; Math.round only when needed (a call costs more than the test).
    let t = timeMs;
    if (t % 1 !== 0) t = Math.round(t);
    const d = this.d;
    let offset = t - d[W.ANCHOR];
    if (offset > OFFSET_MAX || offset < OFFSET_MIN) offset = this.reanchor(t);
    const values = this.values;
    const times = this.times;
    const cap = d[W.CAP];
    const head = d[W.HEAD];
    const size = d[W.SIZE];
    if (size === cap) sumsRemove(d, W.LIVE, values[head], d[W.ANCHOR] + times[head]);
    let slot = head + size;
    if (slot >= cap) slot -= cap;
    // The Float32Array rounds (as Math.fround would); everything below uses the stored value.
    values[slot] = value;
    let x = values[slot];
    // x - x is NaN only for ±Infinity here (callers pass finite numbers): beyond Float32's range.
    if (x - x !== 0) values[slot] = x = x > 0 ? FLOAT32_MAX : -FLOAT32_MAX;
    times[slot] = offset;
    if (size === cap) d[W.HEAD] = head + 1 === cap ? 0 : head + 1;
    else d[W.SIZE] = size + 1;
    if (sumsCount(d, W.LIVE) === 0) {
      sumsReset(d, W.LIVE, x, t);
      sumsReset(d, W.NEXT, x, t);
    }
    sumsAdd(d, W.LIVE, x, t);
    sumsAdd(d, W.NEXT, x, t);
    if (sumsCount(d, W.NEXT) === cap) {
      d.copyWithin(W.LIVE, W.NEXT, W.NEXT + SumsLayout.SIZE);
      sumsReset(d, W.NEXT, sumsMean(d, W.LIVE), t);
    }
    const q = this.q;
    dequeUpdate(q, 0, d, W.MIN_HS, values, 0, cap, slot, false);
    dequeUpdate(q, cap, d, W.MAX_HS, values, 0, cap, slot, true);
  }

  get count(): number {
    return this.d[W.SIZE];
  }

  get full(): boolean {
    return this.d[W.SIZE] === this.d[W.CAP];
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
    return d[W.MIN_HS + 1] === 0 ? NaN : this.values[this.q[d[W.MIN_HS]]];
  }

  /** Largest value in the window (NaN when empty): the value in the maximum deque's front slot. */
  get max(): number {
    const d = this.d;
    return d[W.MAX_HS + 1] === 0 ? NaN : this.values[this.q[d[W.CAP] + d[W.MAX_HS]]];
  }

  /** Least-squares slope over the window, value units per minute. */
  get ratePerMinute(): number {
    return sumsSlope(this.d, W.LIVE) * 60000;
  }

  /** The i-th value in the window (as stored: Float32), 0 the oldest (NaN when out of range). */
  valueAt(i: number): number {
    const slot = this.slotAt(i);
    return slot < 0 ? NaN : this.values[slot];
  }

  /** The i-th timestamp in the window (whole ms), 0 the oldest (NaN when out of range). */
  timeAt(i: number): number {
    const slot = this.slotAt(i);
    return slot < 0 ? NaN : this.d[W.ANCHOR] + this.times[slot];
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

  /** The ring slot of the i-th sample, 0 the oldest; -1 when out of range. */
  private slotAt(i: number): number {
    const d = this.d;
    if (!(i >= 0 && i < d[W.SIZE])) return -1;
    const cap = d[W.CAP];
    let slot = d[W.HEAD] + i;
    if (slot >= cap) slot -= cap;
    return slot;
  }

  /**
   * Makes room for a sample at time `t` (whole ms) whose offset from the anchor does not fit:
   * keeps the newest samples whose times span at most SPAN_MAX with `t`, evicts the older ones,
   * moves the anchor to the middle of the kept span and rewrites the kept offsets; rebuilds the
   * sums. Returns t's offset from the new anchor. O(capacity).
   */
  private reanchor(t: number): number {
    const d = this.d;
    const times = this.times;
    const cap = d[W.CAP];
    const head = d[W.HEAD];
    const size = d[W.SIZE];
    const anchor = d[W.ANCHOR];
    let lo = t;
    let hi = t;
    let keep = 0;
    for (; keep < size; keep++) {
      let slot = head + size - 1 - keep;
      if (slot >= cap) slot -= cap;
      const ti = anchor + times[slot];
      const l = ti < lo ? ti : lo;
      const h = ti > hi ? ti : hi;
      if (h - l > SPAN_MAX) break;
      lo = l;
      hi = h;
    }
    // lo - a >= -2^31 and hi - a <= 2^31 - 1 since hi - lo <= 2^32 - 1.
    const a = lo + Math.ceil((hi - lo) / 2);
    for (let i = size - keep; i < size; i++) {
      let slot = head + i;
      if (slot >= cap) slot -= cap;
      times[slot] = anchor + times[slot] - a;
    }
    d[W.ANCHOR] = a;
    this.rebuild(size - keep, t);
    return t - a;
  }

  /**
   * Drops the `n` oldest samples (n <= count) and rebuilds the sums from the rest, their time
   * shift at `t`: after a clock jump the shift is near the new times again (sums about a far
   * shift lose the slope to cancellation). O(capacity).
   */
  private rebuild(n: number, t: number): void {
    const d = this.d;
    const cap = d[W.CAP];
    const head = d[W.HEAD];
    const left = d[W.SIZE] - n;
    // The deques hold slots in ring order: the evicted ones are at their fronts.
    const q = this.q;
    for (let k = 0; k < 2; k++) {
      const hs = k === 0 ? W.MIN_HS : W.MAX_HS;
      let h = d[hs];
      let s = d[hs + 1];
      while (s > 0) {
        let age = q[k * cap + h] - head;
        if (age < 0) age += cap;
        if (age >= n) break;
        h = h + 1 === cap ? 0 : h + 1;
        s--;
      }
      d[hs] = h;
      d[hs + 1] = s;
    }
    let newHead = head + n;
    if (newHead >= cap) newHead -= cap;
    d[W.HEAD] = newHead;
    d[W.SIZE] = left;
    const values = this.values;
    const times = this.times;
    const anchor = d[W.ANCHOR];
    sumsReset(d, W.LIVE, left > 0 ? values[newHead] : 0, t);
    for (let i = 0; i < left; i++) {
      let slot = newHead + i;
      if (slot >= cap) slot -= cap;
      sumsAdd(d, W.LIVE, values[slot], anchor + times[slot]);
    }
    // The sums being rebuilt may hold evicted samples: they restart as exactly the window, or
    // empty when the window is full (as after a swap: they must reach `capacity` by additions).
    if (left === cap) sumsReset(d, W.NEXT, sumsMean(d, W.LIVE), t);
    else d.copyWithin(W.NEXT, W.LIVE, W.LIVE + SumsLayout.SIZE);
  }
}
