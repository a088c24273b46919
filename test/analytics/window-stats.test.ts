/** Windowed statistics, anomaly detection and refusal of bad input, against naive models (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangeDetector } from '../../src/analytics/change-detector';
import { SensorAnalytics } from '../../src/analytics/sensor-analytics';
import { WindowStats } from '../../src/analytics/window-stats';
import { mulberry32, twoPass, windowValues } from './prng';

/** The window's widest span of times (2^32 - 1 ms, 49.7 days; see WindowStats "Times"). */
const SPAN_MAX = 2 ** 32 - 1;
/** Float32 rounding: at most half an ulp, 2^-24 relative. */
const F32 = 2 ** -24;

/**
 * Samples with random gaps; value scale and offset vary so the shift logic is exercised. Values
 * are sensor-like (no subnormals, where no formula keeps relative precision). Now and then the
 * clock jumps, forward or back, by up to 2^34 ms (199 days), and times are not always whole ms.
 */
const stream = fc
  .record({
    offset: fc.integer({ min: -1_000_000, max: 1_000_000 }).map((i) => i / 1000),
    scale: fc.constantFrom(1e-3, 0.1, 10, 500),
    start: fc.integer({ min: 0, max: 2e12 }),
    fraction: fc.constantFrom(0, 0.25, 0.5, 0.7),
    points: fc.array(
      fc.record({
        u: fc.integer({ min: -1_000_000, max: 1_000_000 }).map((i) => i / 1_000_000),
        gap: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 0, max: 5000 }) }, { weight: 1, arbitrary: fc.integer({ min: -(2 ** 34), max: 2 ** 34 }) }),
      }),
      { minLength: 1, maxLength: 400 },
    ),
  })
  .map(({ offset, scale, start, fraction, points }) => {
    let t = start;
    return points.map(({ u, gap }) => ({ x: offset + u * scale, t: (t += gap) + fraction }));
  });

/** Absolute floor for the tolerances: subnormal-sized data has no relative precision. */
const TINY = 1e-200;

function range(xs: number[]): number {
  return xs.length ? Math.max(...xs) - Math.min(...xs) : 0;
}

/** A stored sample as WindowStats keeps it: Float32 value, whole-ms time. */
interface Stored {
  x: number;
  t: number;
  /** The value as pushed (Float64). */
  raw: number;
}

/**
 * The naive model of the window: the last `capacity` samples, except that a new time whose span
 * with the window's would exceed SPAN_MAX first evicts the oldest samples until the newest ones
 * fit with it. Returns the new window.
 */
function modelPush(win: Stored[], capacity: number, s: Stored): Stored[] {
  let lo = s.t;
  let hi = s.t;
  let keep = 0;
  for (; keep < win.length; keep++) {
    const ti = win[win.length - 1 - keep].t;
    const l = Math.min(lo, ti);
    const h = Math.max(hi, ti);
    if (h - l > SPAN_MAX) break;
    lo = l;
    hi = h;
  }
  const next = win.slice(win.length - keep);
  next.push(s);
  return next.length > capacity ? next.slice(next.length - capacity) : next;
}

describe('WindowStats', () => {
  it('matches a naive recomputation over its window after every push, and a Float64 reference within the Float32 bound', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), stream, (capacity, samples) => {
        const w = new WindowStats(capacity);
        let win: Stored[] = [];
        // What the live sums have seen (values, times): at most the last 3 windows, and only the
        // window's samples when it lost some early (the sums are rebuilt then).
        let seen: number[] = [];
        let seenT: number[] = [];
        samples.forEach((s) => {
          w.push(s.x, s.t);
          const before = win.length;
          win = modelPush(win, capacity, { x: Math.fround(s.x), t: Math.round(s.t), raw: s.x });
          const xs = win.map((p) => p.x);
          const ts = win.map((p) => p.t);
          if (win.length < Math.min(before + 1, capacity)) {
            seen = xs.slice();
            seenT = ts.slice();
          } else {
            seen.push(Math.fround(s.x));
            seenT.push(Math.round(s.t));
            if (seen.length > 3 * capacity) seen.shift();
            if (seenT.length > 3 * capacity) seenT.shift();
          }
          const ref = twoPass(xs, ts);
          // Rounding is bounded by what the live sums have seen: at most the last 3 windows.
          const r = range(seen.concat(xs));
          // Their time shift is one of the times they have seen: |t - shift| <= this.
          const spread = range(seenT.concat(ts));
          // The two-pass reference itself rounds its mean by about eps·|mean|.
          const e = 1e-15 * Math.abs(ref.mean);
          expect(w.count).toBe(win.length);
          for (let i = 0; i < win.length; i++) {
            expect(w.valueAt(i)).toBe(xs[i]);
            expect(w.timeAt(i)).toBe(ts[i]);
          }
          expect(w.min === ref.min).toBe(true); // === : the deques do not order -0 and +0
          expect(w.max === ref.max).toBe(true);
          expect(Math.abs(w.mean - ref.mean)).toBeLessThanOrEqual(1e-12 * (Math.abs(ref.mean) + r) + TINY);
          expect(w.variance).toBeGreaterThanOrEqual(0);
          expect(Math.abs(w.variance - ref.variance)).toBeLessThanOrEqual(1e-9 * (ref.variance + r * r) + 4 * e * (r + e) + TINY);
          const span = ts[ts.length - 1] - ts[0];
          if (span !== 0) {
            const rateScale = (r / Math.abs(span)) * 60000;
            // Reference slope error from its rounded mean: e·Σ|u|/Σu² per ms.
            const tmean = ts.reduce((a, b) => a + b, 0) / ts.length;
            const absU = ts.reduce((a, b) => a + Math.abs(b - tmean), 0);
            const u2 = ts.reduce((a, b) => a + (b - tmean) * (b - tmean), 0);
            const refError = u2 > 0 ? ((4 * e * absU) / u2) * 60000 : 0;
            // Σu² and Σd·u about a time shift `spread` away from the window's times cancel: each
            // of the m updates rounds by eps·spread² (eps·r·spread), against Σu² = u2 (as before
            // this change: a clock jump of less than 24.8 days keeps the shift until the rebuild).
            const m = seen.length + ts.length;
            const shiftError = u2 > 0 ? ((8 * 2 ** -52 * m * (spread * spread * Math.abs(ref.ratePerMinute / 60000) + r * spread)) / u2) * 60000 : 0;
            expect(Math.abs(w.ratePerMinute - ref.ratePerMinute)).toBeLessThanOrEqual(1e-7 * (Math.abs(ref.ratePerMinute) + rateScale) + refError + shiftError + TINY);
          }
          // Against the values as pushed (Float64): each stored value is within 2^-24·|x|.
          const raws = win.map((p) => p.raw);
          const ref64 = twoPass(raws, ts);
          const big = Math.max(...raws.map(Math.abs));
          expect(w.min).toBe(Math.fround(ref64.min));
          expect(w.max).toBe(Math.fround(ref64.max));
          expect(Math.abs(w.mean - ref64.mean)).toBeLessThanOrEqual(F32 * big + 1e-12 * (Math.abs(ref.mean) + r) + TINY);
          const n = win.length;
          const stdBound = n > 1 ? F32 * big * Math.sqrt(n / (n - 1)) : 0;
          expect(Math.abs(w.std - ref64.std)).toBeLessThanOrEqual(stdBound + 1e-6 * (ref64.std + r) + TINY);
        });
      }),
      { numRuns: 200 },
    );
  });
});

const DAY = 86_400_000;
const YEAR = 365.25 * DAY;

/** Pushes `n` samples of sixteenths of a degree minus `bias` every `stepMs` from `t`; returns the next time. */
function feed(w: WindowStats, raw: { x: number; t: number }[], rand: () => number, n: number, t: number, stepMs: number, bias = 0.1): number {
  for (let i = 0; i < n; i++, t += stepMs) {
    const x = Math.round((21.5 + (rand() - 0.5) * 2) * 16) / 16 - bias;
    w.push(x, t);
    raw.push({ x, t });
  }
  return t;
}

/**
 * The window's statistics against a two-pass reference over `expected` (the last samples as
 * pushed, Float64): exact times, Float32 values, tight agreement with the stored values and the
 * Float32 bound against the Float64 ones.
 */
function expectWindow(w: WindowStats, expected: { x: number; t: number }[]): void {
  expect(w.count).toBe(expected.length);
  const { xs, ts } = windowValues(w);
  expect(ts).toEqual(expected.map((p) => p.t));
  expect(xs).toEqual(expected.map((p) => Math.fround(p.x)));
  const ref = twoPass(xs, ts);
  const ref64 = twoPass(
    expected.map((p) => p.x),
    ts,
  );
  const big = Math.max(...expected.map((p) => Math.abs(p.x)));
  expect(w.min).toBe(ref.min);
  expect(w.max).toBe(ref.max);
  expect(Math.abs(w.mean - ref.mean)).toBeLessThanOrEqual(1e-12 * Math.abs(ref.mean));
  expect(Math.abs(w.variance - ref.variance)).toBeLessThanOrEqual(1e-9 * ref.variance + 1e-15);
  expect(Math.abs(w.ratePerMinute - ref.ratePerMinute)).toBeLessThanOrEqual(1e-9 * Math.abs(ref.ratePerMinute) + 1e-15);
  // Against Float64 values: within 2^-24·max|x| (below 2e-6 °C here).
  expect(Math.abs(w.min - ref64.min)).toBeLessThanOrEqual(F32 * big);
  expect(Math.abs(w.max - ref64.max)).toBeLessThanOrEqual(F32 * big);
  expect(Math.abs(w.mean - ref64.mean)).toBeLessThanOrEqual(F32 * big + 1e-12 * big);
  const n = expected.length;
  if (n > 1) expect(Math.abs(w.std - ref64.std)).toBeLessThanOrEqual(F32 * big * Math.sqrt(n / (n - 1)) + 1e-9);
}

describe('WindowStats: Float32 values, 32-bit time offsets', () => {
  it('stores values as Float32 and times as whole milliseconds', () => {
    const w = new WindowStats(4);
    w.push(21.4375 - 0.1, 1_700_000_000_000.4);
    w.push(0.1, 1_700_000_000_999.5);
    expect(w.valueAt(0)).toBe(Math.fround(21.4375 - 0.1));
    expect(w.valueAt(0)).not.toBe(21.4375 - 0.1);
    expect(w.valueAt(1)).toBe(Math.fround(0.1));
    expect(w.timeAt(0)).toBe(1_700_000_000_000);
    expect(w.timeAt(1)).toBe(1_700_000_001_000);
    expect(w.min).toBe(Math.fround(0.1));
    expect(Math.abs(w.mean - (21.4375 - 0.1 + 0.1) / 2)).toBeLessThanOrEqual(F32 * 21.4);
    // Beyond Float32's range: the largest Float32, never Infinity (that would poison the sums).
    w.push(1e39, 1_700_000_002_000);
    w.push(-1e39, 1_700_000_003_000);
    expect(w.max).toBe(3.4028234663852886e38);
    expect(w.min).toBe(-3.4028234663852886e38);
    expect(Number.isFinite(w.mean) && Number.isFinite(w.variance)).toBe(true);
  });

  it('keeps exact times and the statistics over a long run whose offsets cross 2^31 and 2^32 ms', () => {
    // 1.3 million samples 10 s apart: 149 days, past 2^31 ms (24.9 d), 2^32 ms (49.7 d), 3·2^32.
    const w = new WindowStats(60);
    const rand = mulberry32(0x3200);
    const raw: { x: number; t: number }[] = [];
    let t = 1_700_000_000_000;
    const start = t;
    const end = start + 3 * 2 ** 32 + 600_000;
    let checks = 0;
    while (t < end) {
      t = feed(w, raw, rand, 1000, t, 10_000);
      raw.splice(0, raw.length - 60);
      const elapsed = t - start;
      // Every sample near the 32-bit boundaries, else every 100,000 samples.
      const near = [2 ** 31, 2 ** 32, 2 ** 33, 3 * 2 ** 32].some((b) => Math.abs(elapsed - b) < 20_000_000);
      if (near || (t - start) % 1_000_000_000 === 0) {
        expectWindow(w, raw);
        checks++;
      }
    }
    expect(checks).toBeGreaterThan(10);
    expectWindow(w, raw);
  });

  it('a window of slow samples holds at most 2^32 - 1 ms (49.7 days) of them', () => {
    const w = new WindowStats(60);
    const rand = mulberry32(1);
    const raw: { x: number; t: number }[] = [];
    feed(w, raw, rand, 200, 0, DAY);
    // The newest sample and the 49 before it: 49 days; 50 days back would be too wide.
    expectWindow(w, raw.slice(-50));
  });

  it('a forward clock jump of 40 days keeps the window; one of 30 years leaves the new sample alone', () => {
    const w = new WindowStats(60);
    const rand = mulberry32(2);
    const raw: { x: number; t: number }[] = [];
    let t = feed(w, raw, rand, 90, 1_000, 1000);
    t = feed(w, raw, rand, 1, t + 40 * DAY, 1000);
    expectWindow(w, raw.slice(-60));
    t = feed(w, raw, rand, 30, t, 1000);
    expectWindow(w, raw.slice(-60));
    // SNTP sets a clock that started at 0 to 2026: everything before is out of the window.
    t = feed(w, raw, rand, 1, t + 30 * YEAR, 1000);
    expectWindow(w, raw.slice(-1));
    expect(w.variance).toBe(0);
    expect(w.ratePerMinute).toBe(0);
    t = feed(w, raw, rand, 25, t, 1000);
    expectWindow(w, raw.slice(-26));
    feed(w, raw, rand, 100, t, 1000);
    expectWindow(w, raw.slice(-60));
  });

  it('a backward clock jump of an hour keeps the window; one of a year empties it first', () => {
    const w = new WindowStats(60);
    const rand = mulberry32(3);
    const raw: { x: number; t: number }[] = [];
    let t = feed(w, raw, rand, 100, 1_750_000_000_000, 1000);
    t = feed(w, raw, rand, 20, t - 3_600_000, 1000);
    expectWindow(w, raw.slice(-60));
    t = feed(w, raw, rand, 1, t - YEAR, 1000);
    expectWindow(w, raw.slice(-1));
    t = feed(w, raw, rand, 70, t, 1000);
    expectWindow(w, raw.slice(-60));
    // Back and forth beyond the anchor's 32-bit range: 30 days (the window keeps it all), and
    // every third time 60 (the samples more than 49.7 days away leave).
    const counts = new Set<number>();
    for (let i = 0; i < 30; i++) {
      t = feed(w, raw, rand, 25, t + (i % 2 === 0 ? 1 : -1) * (i % 3 === 0 ? 60 : 30) * DAY, 1000);
      let model: Stored[] = [];
      for (const p of raw) model = modelPush(model, 60, { ...p, raw: p.x });
      expectWindow(w, model);
      counts.add(w.count);
    }
    expect(counts.has(60)).toBe(true);
    expect(Math.min(...counts)).toBeLessThan(30);
  });

  it('stays consistent over a million calibrated samples (value - bias not exact in Float32)', () => {
    for (const bias of [0.1, -0.37, 1 / 3]) {
      const w = new WindowStats(60);
      const rand = mulberry32(4);
      const raw: { x: number; t: number }[] = [];
      let t = 0;
      for (let i = 0; i < 1000; i++) {
        t = feed(w, raw, rand, 1000, t, 1000, bias);
        raw.splice(0, raw.length - 60);
      }
      expectWindow(w, raw);
    }
  });
});

describe('ChangeDetector', () => {
  it('alternates start and end (an update only inside an alert), with a finite score, whatever the input', () => {
    const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(20, 20.0625, 25, -55, 125));
    const input = fc.array(fc.record({ x: value, dt: fc.integer({ min: 0, max: 600_000 }) }), { maxLength: 400 });
    fc.assert(
      fc.property(input, fc.constantFrom(0.0625, 0.125, 0.25, 0.5), (steps, step) => {
        const d = new ChangeDetector({ step, warmupMs: 1000, minSamples: 2 });
        let active = false;
        let t = 0;
        for (const { x, dt } of steps) {
          const event = d.push(x, (t += dt));
          expect(Number.isFinite(d.score)).toBe(true);
          expect(Number.isFinite(d.reference)).toBe(true);
          if (event === 'start') expect(active).toBe(false);
          if (event === 'update' || event === 'end') expect(active).toBe(true);
          if (event === 'start') active = true;
          if (event === 'end') active = false;
          expect(d.active).toBe(active);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('SensorAnalytics', () => {
  it('non-finite input never changes the statistics', () => {
    const bad = fc.constantFrom(NaN, Infinity, -Infinity);
    const item = fc.oneof(
      { weight: 4, arbitrary: fc.double({ min: -50, max: 150, noNaN: true }).map((x) => ({ x, bad: false })) },
      { weight: 1, arbitrary: bad.map((x) => ({ x, bad: true })) },
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 200 }), fc.integer({ min: 1, max: 30 }), (items, window) => {
        const clean = new SensorAnalytics('clean', { window, detector: { minSamples: 2, warmupMs: 1 } });
        const dirty = new SensorAnalytics('dirty', { window, detector: { minSamples: 2, warmupMs: 1 } });
        let refused = 0;
        items.forEach(({ x, bad: isBad }, i) => {
          const r = dirty.push(x, i * 1000);
          expect(r.accepted).toBe(!isBad);
          if (isBad) refused++;
          else expect(r).toEqual({ ...clean.push(x, i * 1000), sensorId: 'dirty', rejected: refused });
        });
        expect(dirty.rejected).toBe(refused);
        expect(Number.isNaN(dirty.window.mean)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
