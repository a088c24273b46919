/** Windowed statistics, anomaly detection and refusal of bad input, against naive models (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangeDetector } from '../../src/analytics/change-detector';
import { SensorAnalytics } from '../../src/analytics/sensor-analytics';
import { WindowStats } from '../../src/analytics/window-stats';
import { twoPass } from './prng';

/**
 * Samples with random gaps; value scale and offset vary so the shift logic is exercised. Values
 * are sensor-like (no subnormals, where no formula keeps relative precision).
 */
const stream = fc
  .record({
    offset: fc.integer({ min: -1_000_000, max: 1_000_000 }).map((i) => i / 1000),
    scale: fc.constantFrom(1e-3, 0.1, 10, 500),
    start: fc.integer({ min: 0, max: 2e12 }),
    points: fc.array(fc.record({ u: fc.integer({ min: -1_000_000, max: 1_000_000 }).map((i) => i / 1_000_000), gap: fc.integer({ min: 0, max: 5000 }) }), { minLength: 1, maxLength: 400 }),
  })
  .map(({ offset, scale, start, points }) => {
    let t = start;
    return points.map(({ u, gap }) => ({ x: offset + u * scale, t: (t += gap) }));
  });

/** Absolute floor for the tolerances: subnormal-sized data has no relative precision. */
const TINY = 1e-200;

function range(xs: number[]): number {
  return xs.length ? Math.max(...xs) - Math.min(...xs) : 0;
}

describe('WindowStats', () => {
  it('matches a naive recomputation over the last `capacity` samples after every push', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), stream, (capacity, samples) => {
        const w = new WindowStats(capacity);
        samples.forEach((s, i) => {
          w.push(s.x, s.t);
          const win = samples.slice(Math.max(0, i + 1 - capacity), i + 1);
          const xs = win.map((p) => p.x);
          const ts = win.map((p) => p.t);
          const ref = twoPass(xs, ts);
          // Rounding is bounded by what the live sums have seen: at most the last 3 windows.
          const seen = samples.slice(Math.max(0, i + 1 - 3 * capacity), i + 1).map((p) => p.x);
          const r = range(seen);
          // The two-pass reference itself rounds its mean by about eps·|mean|.
          const e = 1e-15 * Math.abs(ref.mean);
          expect(w.count).toBe(win.length);
          expect(w.min === ref.min).toBe(true); // === : the deques do not order -0 and +0
          expect(w.max === ref.max).toBe(true);
          expect(Math.abs(w.mean - ref.mean)).toBeLessThanOrEqual(1e-12 * (Math.abs(ref.mean) + r) + TINY);
          expect(w.variance).toBeGreaterThanOrEqual(0);
          expect(Math.abs(w.variance - ref.variance)).toBeLessThanOrEqual(1e-9 * (ref.variance + r * r) + 4 * e * (r + e) + TINY);
          const span = ts[ts.length - 1] - ts[0];
          if (span > 0) {
            const rateScale = (r / span) * 60000;
            // Reference slope error from its rounded mean: e·Σ|u|/Σu² per ms.
            const tmean = ts.reduce((a, b) => a + b, 0) / ts.length;
            const absU = ts.reduce((a, b) => a + Math.abs(b - tmean), 0);
            const u2 = ts.reduce((a, b) => a + (b - tmean) * (b - tmean), 0);
            const refError = u2 > 0 ? ((4 * e * absU) / u2) * 60000 : 0;
            expect(Math.abs(w.ratePerMinute - ref.ratePerMinute)).toBeLessThanOrEqual(1e-7 * (Math.abs(ref.ratePerMinute) + rateScale) + refError + TINY);
          }
        });
      }),
      { numRuns: 200 },
    );
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
