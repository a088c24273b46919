/**
 * XS entry for bench/analytics.ts: one SensorAnalytics fed from a pre-generated table (noise
 * with spikes and a few NaN), so a measured `push` command costs the analytics and a loop. `naive` is the peer:
 * the same window statistics recomputed from scratch (two passes) for every sample.
 */
import type { Json } from '../../test/harness';
import { serve } from '../../test/xs/serve';
import { mulberry32 } from '../../test/analytics/prng';
import { emptySampleResult, SensorAnalytics, SensorAnalyticsSettings } from '../../src/analytics/sensor-analytics';
import { windowAnalytics } from '../../src/device/adapters/analytics';

/**
 * Bytes of chunk heap held in typed arrays reachable from `roots`, each buffer counted once
 * (xsnap reports no live chunk figure: typed-array contents are what a sensor keeps there).
 */
function typedArrayBytes(roots: readonly object[]): number {
  const seen = new Set<unknown>();
  const stack: unknown[] = [...roots];
  let bytes = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      if (!seen.has(v.buffer)) {
        seen.add(v.buffer);
        bytes += v.buffer.byteLength;
      }
      continue;
    }
    for (const key of Object.getOwnPropertyNames(v)) stack.push((v as Record<string, unknown>)[key]);
  }
  return bytes;
}

const TABLE_BITS = 16;

function createBench() {
  const mask = (1 << TABLE_BITS) - 1;
  const data = new Float64Array(mask + 1);
  const rand = mulberry32(42);
  for (let i = 0; i <= mask; i++) data[i] = 21.5 + (rand() * 2 - 1) * 0.1;
  // Exercise every path: spikes raise and clear alerts, a few NaN samples are refused.
  for (let i = 500; i <= mask; i += 997) data[i] += 1;
  for (let i = 700; i <= mask; i += 4999) data[i] = NaN;
  const shared = { settings: new SensorAnalyticsSettings({ window: 60 }), result: emptySampleResult(), factory: windowAnalytics({ window: 60 }) };
  const state = { sensor: new SensorAnalytics('bench', { window: 16 }), next: 0, timeMs: 1.7e12, naive: new Float64Array(1), kept: [] as object[] };

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
    /**
     * Creates and keeps `n` more SensorAnalytics (window 60), or the device's per-sensor
     * analytics (`device`: windowAnalytics), each fed one sample; returns the bytes of the typed
     * arrays they hold. Sensors share one settings object and one result, as AnalyticsRegistry's
     * do, and the device's share their factory's: both made once, before the first batch.
     */
    create: (arg) => {
      const { kind, n } = arg as { kind: 'sensor' | 'device'; n: number };
      const batch: object[] = [];
      for (let i = 0; i < n; i++) {
        const id = `28-${1000 + state.kept.length}`;
        let made: object;
        if (kind === 'sensor') {
          const s = new SensorAnalytics(id, shared.settings, shared.result);
          s.push(21.5, 1.7e12);
          made = s;
        } else {
          const a = shared.factory.create(id, 8);
          a.push(21.5, 1.7e12);
          made = a;
        }
        batch.push(made);
        state.kept.push(made);
      }
      return typedArrayBytes(batch);
    },
    release: () => {
      state.kept = [];
      return null;
    },
    result: () => {
      const r = state.sensor.result;
      return { count: r.count, mean: r.mean, std: r.std, min: r.min, max: r.max, ewma: r.ewma, ratePerMinute: r.ratePerMinute, alerts: state.sensor.detector.alerts, rejected: state.sensor.rejected } as Json;
    },
  });
}

createBench();
