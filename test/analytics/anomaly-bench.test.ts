/**
 * bench/anomaly.ts on a smaller corpus (deterministic: seeded, simulated time): the device's
 * detector against the plain |z| > 3 rule on the same signals.
 */
import { describe, expect, it } from 'vitest';
import { measure, rampDelayBound } from '../../bench/anomaly';

describe('anomaly alerts (bench:anomaly, 1 sensor-day per cell, 20 trials per event cell)', () => {
  const bench = measure({ '1': 1, '0.1': 2 }, 20);

  it('raises no false alert on steady, daily and HVAC signals where the plain rule raises hundreds', () => {
    expect(bench.device.maxFalseAlertsPerSensorDay).toBe(0);
    expect(bench.baseline.maxFalseAlertsPerSensorDay).toBeGreaterThan(100);
  });

  it('detects every event, the spike on its own sample and ±1 °C steps at once', () => {
    expect(bench.device.minDetectionRate).toBe(1);
    expect(bench.device.delaySamples.spike).toBe(0);
    expect(bench.device.delaySamples.step1).toBeLessThanOrEqual(3);
    expect(bench.device.delaySamples.ramp10min).toBeLessThanOrEqual(120);
    for (const c of bench.cells) if (c.kind === 'event') expect(c.controlAlertRate.device, `${c.name} ${c.rateHz} Hz`).toBe(0);
  });

  it('bounds the 10-minute ramp delay at 0.1 Hz per noise level and marks only the unreachable goal', () => {
    expect(bench.rampBounds.map((b) => [b.sigma, b.minMedianDelay])).toEqual([[0.01, 1], [0.03, 2], [0.1, 5]]);
    const ramp = bench.goals.filter((g) => g.goal.startsWith('10-minute ramp within 2 samples'));
    expect(ramp.map((g) => g.reachable)).toEqual([true, true, false]);
    expect(ramp[2].bound).toBe(5);
    for (const g of bench.goals) if (g.reachable) expect(g.ok, g.goal).toBe(true);
    // A slower ramp or less noise lowers the bound; more false alerts allowed lowers it too.
    expect(rampDelayBound('r', 0.1, 0.1, 0.0625, 0.1, 0.15).minMedianDelay).toBeLessThan(5);
    expect(rampDelayBound('r', 0.1, 0.1, 0.0625, 0.05, 5).minMedianDelay).toBeLessThan(5);
  });
});
