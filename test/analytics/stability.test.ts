/**
 * Long-run numerical stability: 10,000,000 samples of 21.5 ± 0.1 (seeded), then the window's
 * statistics must still match a two-pass reference over the final window to 1e-9 relative.
 */
import { describe, expect, it } from 'vitest';
import { SensorAnalytics } from '../../src/analytics/sensor-analytics';
import { mulberry32, twoPass, windowValues } from './prng';

const SAMPLES = 10_000_000;

function rel(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

describe('stability over 1e7 samples', () => {
  for (const window of [16, 4096]) {
    it(`window ${window}: mean, variance, std and rate match a two-pass reference to 1e-9`, () => {
      const rand = mulberry32(0x5eed + window);
      const s = new SensorAnalytics('stable', { window });
      let accepted = 0;
      for (let i = 0; i < SAMPLES; i++) {
        if (s.push(21.5 + (rand() * 2 - 1) * 0.1, 1.7e12 + i * 1000).accepted) accepted++;
      }
      expect(accepted).toBe(SAMPLES);
      const { xs, ts } = windowValues(s.window);
      expect(xs.length).toBe(window);
      const ref = twoPass(xs, ts);
      const r = s.result;
      expect(rel(r.mean, ref.mean)).toBeLessThanOrEqual(1e-9);
      expect(rel(r.variance, ref.variance)).toBeLessThanOrEqual(1e-9);
      expect(rel(r.std, ref.std)).toBeLessThanOrEqual(1e-9);
      expect(rel(r.ratePerMinute, ref.ratePerMinute)).toBeLessThanOrEqual(1e-9);
      expect(r.min).toBe(ref.min);
      expect(r.max).toBe(ref.max);
      // The data really is 21.5 ± 0.1 uniform: std about 0.1/sqrt(3).
      expect(ref.std).toBeGreaterThan(0.03);
      expect(ref.std).toBeLessThan(0.09);
    });
  }
});
