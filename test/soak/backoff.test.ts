/** Reconnect backoff measured from the policy itself (seeded, simulated time), and bad credentials. */
import { describe, expect, it } from 'vitest';
import { ksUniform, runBackoffStudy, runBadCredentials } from './backoff';
import { mulberry32 } from './rng';

describe('soak: reconnect backoff distribution', () => {
  it('KS distance detects a non-uniform sample (the check itself can fail)', () => {
    const r = mulberry32(1);
    const skewed = Array.from({ length: 1000 }, () => r() ** 2);
    expect(ksUniform(skewed)).toBeGreaterThan(0.1);
    const flat = Array.from({ length: 1000 }, () => r());
    expect(ksUniform(flat)).toBeLessThan(0.0617);
  });

  it('delays stay within [min, min(max, min*2^(k+1))], are uniform per the jitter model and grow about 2x until the cap', () => {
    const s = runBackoffStudy({ clients: 600, failures: 10, minMs: 1000, maxMs: 100_000 });
    expect(s.samples).toBe(6000);
    expect(s.outOfBounds).toBe(0);
    expect(s.ksMax).toBeLessThan(s.ksCritical);
    for (const f of s.perFailure) {
      expect(f.max).toBeLessThanOrEqual(100_000);
      expect(f.min).toBeGreaterThanOrEqual(1000);
      // The median sits in the middle of the model's range (within 10% of the range).
      expect(Math.abs(f.median - (f.lo + f.hi) / 2)).toBeLessThanOrEqual(0.1 * (f.hi - f.lo) + 1);
      if (f.hi > f.lo) {
        // Spread: the 10th and 90th percentiles are near the model's.
        expect(Math.abs(f.p10 - (f.lo + 0.1 * (f.hi - f.lo)))).toBeLessThan(0.06 * (f.hi - f.lo));
        expect(Math.abs(f.p90 - (f.lo + 0.9 * (f.hi - f.lo)))).toBeLessThan(0.06 * (f.hi - f.lo));
      }
    }
    expect(s.growth.length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < s.growth.length; i++) {
      const k = i + 2;
      const expected = (1 + 2 ** k) / (1 + 2 ** (k - 1));
      expect(Math.abs(s.growth[i] - expected) / expected).toBeLessThan(0.15);
    }
    // Capped failures spread over the whole [min, max] range.
    const capped = s.perFailure.filter((f) => f.hi === 100_000);
    expect(capped.length).toBeGreaterThanOrEqual(3);
  });

  it('refused credentials never loop: one attempt per ceiling over an hour', () => {
    const r = runBadCredentials(3_600_000, { minMs: 1000, maxMs: 100_000 });
    expect(r.attempts).toBeLessThanOrEqual(r.bound);
    expect(r.attempts).toBeGreaterThanOrEqual(r.bound - 2); // it does keep trying
    expect(r.shortestGapMs).toBeGreaterThanOrEqual(100_000);
    expect(r.attemptsWhileDown).toBeGreaterThan(r.attempts); // ordinary failures back off less
  });
});
