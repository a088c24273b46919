/** The read-time goal of bench/sensors.ts, asserted on the deterministic simulated clock (not a timed test). */
import { describe, expect, it } from 'vitest';
import { COUNTS, RATIO_MAX, RESOLUTIONS } from '../../bench/sensors';
import { physicalLimitMs, readTimeRatio } from '../../bench/xs/sensors-cycle';

describe('DS18B20 read cycle bus time', () => {
  for (const r of RESOLUTIONS) {
    for (const n of COUNTS) {
      it(`${n} sensors at ${r} bits: within ${RATIO_MAX}x of 2.08 + tCONV + 11.6·N ms`, () => {
        const m = readTimeRatio(n, r);
        expect(m.limitMs).toBe(physicalLimitMs(n, r));
        expect(m.ratio).toBeLessThanOrEqual(RATIO_MAX);
        // And not below the physics: the simulator charges every slot.
        expect(m.ratio).toBeGreaterThanOrEqual(1);
      });
    }
  }
});
