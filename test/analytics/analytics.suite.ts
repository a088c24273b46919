/**
 * Analytics test vectors, run in Node and in XS: each case returns plain numbers so the XS lane
 * compares both engines' arithmetic exactly.
 */
import type { Json, Suite } from '../harness';
import { Ewma } from '../../src/analytics/ewma';
import { MonotonicDeque } from '../../src/analytics/monotonic-deque';
import { emptySummary, PeriodAggregator } from '../../src/analytics/period-summary';
import { AnalyticsRegistry } from '../../src/analytics/registry';
import { Ring } from '../../src/analytics/ring';
import { ChangeDetector, ChangeDetectorSettings } from '../../src/analytics/change-detector';
import { emptySampleResult, SensorAnalytics, SensorAnalyticsSettings, type SampleResult } from '../../src/analytics/sensor-analytics';
import { WindowStats } from '../../src/analytics/window-stats';
import { mulberry32, twoPass, windowValues } from './prng';


export const suite: Suite = {
  name: 'analytics',
  cases: [
    {
      name: 'ring keeps the newest values, oldest first',
      run: (t) => {
        const ring = new Ring(4);
        t.equal(ring.length, 0);
        t.ok(Number.isNaN(ring.oldest()), 'empty ring has no oldest');
        for (let i = 1; i <= 6; i++) ring.push(i * 1.5);
        t.equal(ring.length, 4);
        t.equal(ring.full, true);
        t.equal(ring.oldest(), 4.5);
        t.equal(ring.newest(), 9);
        const out = new Float64Array(4);
        t.equal(ring.copyTo(out), 4);
        const contents = Array.from(out);
        t.equal(JSON.stringify(contents), JSON.stringify([4.5, 6, 7.5, 9]));
        t.equal(ring.shift(), 4.5);
        ring.push(10.5);
        ring.push(12);
        t.ok(Number.isNaN(ring.at(4)), 'out of range is NaN');
        t.throws(() => new Ring(0), /positive integer/);
        return [contents, [ring.at(0), ring.at(1), ring.at(2), ring.at(3)], ring.length];
      },
    },
    {
      name: 'window statistics match a two-pass reference at every step',
      run: (t) => {
        const rand = mulberry32(7);
        const w = new WindowStats(8);
        const trace: Json[] = [];
        for (let i = 0; i < 40; i++) {
          w.push(20 + rand() * 3, 1_700_000_000_000 + i * 1000 + Math.floor(rand() * 50));
          const { xs, ts } = windowValues(w);
          const ref = twoPass(xs, ts);
          t.equal(w.count, Math.min(i + 1, 8), 'count');
          t.close(w.mean, ref.mean, 1e-12, 'mean');
          t.close(w.variance, ref.variance, 1e-9, 'variance');
          t.close(w.std, ref.std, 1e-9, 'std');
          t.equal(w.min, ref.min, 'min');
          t.equal(w.max, ref.max, 'max');
          t.close(w.ratePerMinute, ref.ratePerMinute, 1e-9, 'rate');
          if (i % 5 === 4) trace.push([w.count, w.mean, w.variance, w.std, w.min, w.max, w.ratePerMinute]);
        }
        return trace;
      },
    },
    {
      name: 'window keeps Float32 values and whole-ms times across 32-bit offsets and clock jumps',
      run: (t) => {
        const rand = mulberry32(0x32);
        const w = new WindowStats(8);
        const trace: Json[] = [];
        let time = 1_700_000_000_000;
        // Steps of 2^29 ms (6.2 days) cross the offsets' 2^31 and 2^32 ms; then jumps of 40 days,
        // 30 years forward, an hour and a year back.
        const steps: number[] = [];
        for (let i = 0; i < 24; i++) steps.push(2 ** 29);
        steps.push(40 * 86_400_000, 1000, 1000, 30 * 31_557_600_000, 1000, -3_600_000, 1000, -31_557_600_000, 1000, 1000);
        for (const step of steps) {
          const x = Math.round((21.5 + rand() * 2) * 16) / 16 - 0.1;
          w.push(x, (time += step) + 0.4);
          const { xs, ts } = windowValues(w);
          const ref = twoPass(xs, ts);
          t.equal(w.valueAt(w.count - 1), Math.fround(x), 'Float32 value');
          t.equal(w.timeAt(w.count - 1), time, 'whole-ms time');
          t.close(w.mean, ref.mean, 1e-12, 'mean');
          t.close(w.variance, ref.variance, 1e-9, 'variance');
          t.equal(w.min, ref.min, 'min');
          t.equal(w.max, ref.max, 'max');
          t.close(w.ratePerMinute, ref.ratePerMinute, 1e-9, 'rate');
          trace.push([w.count, w.mean, w.variance, w.min, w.max, w.ratePerMinute, w.timeAt(0)]);
        }
        t.equal(w.count, 3, 'a year back left the new samples alone');
        return trace;
      },
    },
    {
      name: 'one sample: variance, std and rate are 0',
      run: (t) => {
        const w = new WindowStats(4);
        w.push(21.25, 1000);
        t.equal(w.count, 1);
        t.equal(w.mean, 21.25);
        t.equal(w.variance, 0);
        t.equal(w.ratePerMinute, 0);
        w.push(21.75, 1000);
        t.equal(w.ratePerMinute, 0, 'equal timestamps have no slope');
        return [w.mean, w.variance, w.min, w.max];
      },
    },
    {
      name: 'min and max deques follow the window, ties included',
      run: (t) => {
        const rand = mulberry32(99);
        const ring = new Ring(5);
        const min = new MonotonicDeque(ring, 'min');
        const max = new MonotonicDeque(ring, 'max');
        const all: number[] = [];
        const trace: number[] = [];
        for (let i = 0; i < 60; i++) {
          const x = Math.floor(rand() * 4) * 0.25; // few distinct values: many ties
          all.push(x);
          ring.push(x);
          min.update();
          max.update();
          const win = all.slice(Math.max(0, all.length - 5));
          t.equal(min.value, Math.min(...win), `min at ${i}`);
          t.equal(max.value, Math.max(...win), `max at ${i}`);
          t.ok(min.length <= 5 && max.length <= 5, 'deque within capacity');
          trace.push(min.value, max.value);
        }
        return trace;
      },
    },
    {
      name: 'EWMA seeds on the first sample and follows alpha',
      run: (t) => {
        const e = new Ewma(0.5);
        t.ok(Number.isNaN(e.value), 'no value before the first sample');
        const out = [e.push(1), e.push(2), e.push(3), e.push(3)];
        t.equal(JSON.stringify(out), JSON.stringify([1, 1.5, 2.25, 2.625]));
        t.throws(() => new Ewma(0), /alpha/);
        t.throws(() => new Ewma(1.5), /alpha/);
        const slow = new Ewma(0.1);
        const rand = mulberry32(3);
        for (let i = 0; i < 200; i++) slow.push(21.5 + (rand() - 0.5) * 0.2);
        t.close(slow.value, 21.5, 0.05 / 21.5, 'within a few EWMA standard deviations');
        return [...out, slow.value];
      },
    },
    {
      name: 'rate of change is the least-squares slope per minute',
      run: (t) => {
        const w = new WindowStats(30);
        // 0.5 per minute, sampled every 2 s.
        for (let i = 0; i < 50; i++) w.push(20 + (0.5 * i * 2000) / 60000, 1e12 + i * 2000);
        // Values are kept as Float32, each within 2^-24·21 of the line: the slope within
        // 2^-24·21·Σ|u|/Σu² per ms (about 4e-6 per minute here) of 0.5.
        t.close(w.ratePerMinute, 0.5, 1e-5);
        const noisy = new WindowStats(60);
        const rand = mulberry32(11);
        for (let i = 0; i < 120; i++) noisy.push(20 - (1.2 * i) / 60 + (rand() - 0.5) * 0.02, i * 1000);
        t.close(noisy.ratePerMinute, -1.2, 0.02);
        return [w.ratePerMinute, noisy.ratePerMinute];
      },
    },
    {
      name: 'the change detector sees every accepted sample: a spike is reported with its kind',
      run: (t) => {
        const s = new SensorAnalytics('a', { window: 20, detector: { warmupMs: 60_000 } });
        const rand = mulberry32(5);
        let time = 0;
        for (let i = 0; i < 120; i++) t.equal(s.push(21.5 + (rand() - 0.5) * 0.2, (time += 1000)).alert, 'none', `noise at ${i}`);
        const r = s.push(26.5, (time += 1000));
        t.equal(r.alert, 'start');
        t.equal(r.alertKind, 'spike');
        t.equal(r.alertActive, true);
        t.ok(r.z > 8, `robust score ${r.z}`);
        t.ok(r.max === 26.5, 'the sample still enters the window');
        const back = s.push(21.5, (time += 1000));
        t.equal(back.alert, 'end');
        t.equal(back.alertKind, 'spike');
        t.equal(back.alertActive, false);
        t.equal(s.detector.alerts, 1);
        return [r.z, r.mean, back.alert];
      },
    },
    {
      name: 'NaN and Infinity are refused, counted and never enter the window',
      run: (t) => {
        const clean = new SensorAnalytics('clean', { window: 10 });
        const dirty = new SensorAnalytics('dirty', { window: 10 });
        const rand = mulberry32(8);
        const bad = [NaN, Infinity, -Infinity];
        let refused = 0;
        for (let i = 0; i < 30; i++) {
          const x = 21 + rand();
          clean.push(x, i * 1000);
          dirty.push(x, i * 1000);
          if (i % 4 === 0) {
            const r = dirty.push(bad[i % 3], i * 1000 + 1);
            t.equal(r.accepted, false);
            refused++;
          }
        }
        t.equal(dirty.push(21, NaN).accepted, false, 'non-finite time is refused');
        refused++;
        t.equal(dirty.rejected, refused);
        t.equal(dirty.result.rejected, refused);
        t.equal(dirty.accepted, 30);
        t.equal(dirty.window.mean, clean.window.mean);
        t.equal(dirty.window.variance, clean.window.variance);
        t.equal(dirty.window.min, clean.window.min);
        t.equal(dirty.window.max, clean.window.max);
        t.equal(dirty.ewma, clean.ewma);
        const a = emptySummary();
        const b = emptySummary();
        t.equal(JSON.stringify(dirty.summaryInto(a)), JSON.stringify(clean.summaryInto(b)));
        return [dirty.rejected, dirty.window.mean, dirty.window.std, dirty.ewma];
      },
    },
    {
      name: 'period summaries reset per period and write into the caller object',
      run: (t) => {
        const p = new PeriodAggregator();
        const out = emptySummary();
        for (const [x, time] of [[21, 1000], [23, 2000], [22, 3000], [20, 4000]]) p.add(x, time);
        const got = p.takeInto(out);
        t.ok(got === out, 'written into the caller object');
        t.equal(JSON.stringify(out), JSON.stringify({ count: 4, mean: 21.5, min: 20, max: 23, std: Math.sqrt(5 / 3), first: 21, last: 20, firstTimeMs: 1000, lastTimeMs: 4000 }));
        t.equal(p.count, 0, 'a new period starts');
        p.takeInto(out);
        t.equal(JSON.stringify(out), JSON.stringify(emptySummary()), 'empty period is all zero');
        p.add(-3.5, 5000);
        p.summaryInto(out);
        t.equal(JSON.stringify([out.count, out.mean, out.min, out.max, out.std, out.first, out.last]), JSON.stringify([1, -3.5, -3.5, -3.5, 0, -3.5, -3.5]));
        return out as unknown as Json;
      },
    },
    {
      name: 'sensor analytics: one push updates every statistic',
      run: (t) => {
        const s = new SensorAnalytics('e', { window: 16, ewmaAlpha: 0.25 });
        const rand = mulberry32(1234);
        let r: SampleResult = s.result;
        for (let i = 0; i < 50; i++) {
          const pushed = s.push(21.5 + (rand() - 0.5) * 0.04 + i * 0.01, 1e12 + i * 1000);
          t.ok(pushed === r, 'the same result object every time');
          r = pushed;
        }
        const { xs, ts } = windowValues(s.window);
        const ref = twoPass(xs, ts);
        t.close(r.mean, ref.mean, 1e-12);
        t.close(r.std, ref.std, 1e-9);
        t.equal(r.min, ref.min);
        t.equal(r.max, ref.max);
        t.close(r.ratePerMinute, ref.ratePerMinute, 1e-9);
        t.close(r.ratePerMinute, 0.6, 0.2, 'trend of 0.01 per second');
        const sum = s.takeSummaryInto(emptySummary());
        t.equal(sum.count, 50);
        t.equal(s.periodCount, 0);
        return [r.count, r.mean, r.variance, r.std, r.min, r.max, r.ewma, r.ratePerMinute, r.z, sum.mean, sum.std, sum.first, sum.last];
      },
    },
    {
      name: 'registry: per-sensor state and a maximum number of sensors',
      run: (t) => {
        const reg = new AnalyticsRegistry({ maxSensors: 2, sensor: { window: 4 } });
        reg.push('28-000001', 20, 0);
        reg.push('28-000002', 30, 0);
        reg.push('28-000001', 22, 1000);
        t.equal(reg.size, 2);
        t.equal(reg.get('28-000001')?.window.mean, 21);
        t.equal(reg.get('28-000002')?.window.mean, 30);
        t.throws(() => reg.push('28-000003', 1, 0), /cannot track sensor "28-000003": limit of 2 sensors reached/);
        t.equal(reg.size, 2, 'the refused sensor is not added');
        t.equal(reg.remove('28-000002'), true);
        reg.push('28-000003', 5, 0);
        t.equal(reg.has('28-000003'), true);
        const ids: string[] = [];
        reg.forEach((_s, id) => ids.push(id));
        t.equal(JSON.stringify(ids), JSON.stringify(['28-000001', '28-000003']));
        return ids;
      },
    },
    {
      name: 'shared settings and one shared result: each push writes its own sensor, a refusal its own stats',
      run: (t) => {
        const settings = new SensorAnalyticsSettings({ window: 8, detector: { minSamples: 2 } });
        t.ok(Object.isFrozen(settings) && Object.isFrozen(settings.detector), 'settings are frozen');
        t.throws(() => new SensorAnalyticsSettings({ window: 0 }), /window must be a positive integer/);
        t.throws(() => new SensorAnalyticsSettings({ ewmaAlpha: 2 }), /alpha/);
        t.throws(() => new ChangeDetectorSettings({ cusumH: -1 }), /cusumH/);
        const result = emptySampleResult();
        const a = new SensorAnalytics('a', settings, result);
        const b = new SensorAnalytics('b', settings, result);
        const alone = new SensorAnalytics('alone', { window: 8, detector: { minSamples: 2 } });
        t.ok(a.settings === b.settings && a.detector.settings === b.detector.settings, 'one settings object for both');
        const rand = mulberry32(77);
        for (let i = 0; i < 20; i++) {
          const x = 20 + rand();
          t.ok(a.push(x, i * 1000) === result, 'the shared result');
          alone.push(x, i * 1000);
          const rb = b.push(30 + rand(), i * 1000);
          t.equal(rb.sensorId, 'b');
        }
        // A refused sample reports its own sensor's statistics, not the last pushed sensor's.
        const refused = a.push(NaN, 21_000);
        t.equal(refused.sensorId, 'a');
        t.equal(refused.accepted, false);
        t.equal(refused.mean, alone.window.mean);
        t.equal(refused.min, alone.window.min);
        t.equal(refused.ewma, alone.ewma);
        t.equal(refused.count, 8);
        // Run-time settings stay per detector.
        const d1 = new ChangeDetector(settings.detector);
        const d2 = new ChangeDetector(settings.detector);
        d1.setSpikeThreshold(5);
        d1.setStep(0.5);
        t.equal(d2.spikeThreshold, 8);
        t.equal(d2.step, 0.0625);
        t.equal(settings.detector.spikeThreshold, 8);
        t.throws(() => d1.setStep(0), /step/);
        return [refused.mean, refused.std, refused.ewma, a.rejected, b.accepted, d1.spikeThreshold, d1.step];
      },
    },
    {
      name: 'no drift: 50,000 noisy samples still match a two-pass reference',
      run: (t) => {
        const rand = mulberry32(2024);
        const w = new WindowStats(64);
        for (let i = 0; i < 50_000; i++) w.push(21.5 + (rand() * 2 - 1) * 0.1, 1.7e12 + i * 1000);
        const { xs, ts } = windowValues(w);
        const ref = twoPass(xs, ts);
        t.close(w.mean, ref.mean, 1e-12);
        t.close(w.variance, ref.variance, 1e-9 * ref.variance);
        t.close(w.ratePerMinute, ref.ratePerMinute, 1e-9 * Math.abs(ref.ratePerMinute));
        return [w.mean, w.variance, w.ratePerMinute];
      },
    },
  ],
};
