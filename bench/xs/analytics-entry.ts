/**
 * XS entry for bench/analytics.ts: one SensorAnalytics fed from a pre-generated table (noise
 * with spikes and a few NaN), so a measured `push` command costs the analytics and a loop. `naive` is the peer:
 * the same window statistics recomputed from scratch (two passes) for every sample.
 */
import type { Json } from '../../test/harness';
import { serve } from '../../test/xs/serve';
import { mulberry32 } from '../../test/analytics/prng';
import { SensorAnalytics } from '../../src/analytics/sensor-analytics';

const TABLE_BITS = 16;

function createBench() {
  const mask = (1 << TABLE_BITS) - 1;
  const data = new Float64Array(mask + 1);
  const rand = mulberry32(42);
  for (let i = 0; i <= mask; i++) data[i] = 21.5 + (rand() * 2 - 1) * 0.1;
  // Exercise every path: spikes raise and clear alerts, a few NaN samples are refused.
  for (let i = 500; i <= mask; i += 997) data[i] += 1;
  for (let i = 700; i <= mask; i += 4999) data[i] = NaN;
  const state = { sensor: new SensorAnalytics('bench', { window: 16 }), next: 0, timeMs: 1.7e12, naive: new Float64Array(1) };

  const push = (count: number): void => {
    const sensor = state.sensor;
    let next = state.next;
    let timeMs = state.timeMs;
    for (let i = 0; i < count; i++) {
      sensor.push(data[next & mask], timeMs);
      next++;
      timeMs += 1000;
    }
    state.next = next;
    state.timeMs = timeMs;
  };

  /** The peer: per sample, shift the window array and recompute mean, variance, min, max. */
  const naive = (count: number): number => {
    const w = state.naive;
    const n = w.length;
    let checksum = 0;
    for (let s = 0; s < count; s++) {
      for (let i = 1; i < n; i++) w[i - 1] = w[i];
      w[n - 1] = data[state.next++ & mask];
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const x = w[i];
        sum += x;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      const mean = sum / n;
      let m2 = 0;
      for (let i = 0; i < n; i++) m2 += (w[i] - mean) * (w[i] - mean);
      checksum += mean + Math.sqrt(m2 / (n - 1)) + min + max;
    }
    return checksum;
  };

  serve({
    setup: (arg) => {
      const window = Number(arg);
      state.sensor = new SensorAnalytics('bench', { window });
      state.next = 0;
      state.timeMs = 1.7e12;
      state.naive = new Float64Array(window);
      for (let i = 0; i < window; i++) state.naive[i] = data[i];
      return null;
    },
    push: (arg) => {
      push(Number(arg));
      return null;
    },
    naive: (arg) => {
      naive(Number(arg));
      return null;
    },
    result: () => {
      const r = state.sensor.result;
      return { count: r.count, mean: r.mean, std: r.std, min: r.min, max: r.max, ewma: r.ewma, ratePerMinute: r.ratePerMinute, alerts: state.sensor.detector.alerts, rejected: state.sensor.rejected } as Json;
    },
  });
}

createBench();
