/**
 * ChangeDetector vectors, run in Node and in XS: spikes, level shifts, trends, the alert's
 * lifetime and the quantisation floor. Each case returns plain numbers and strings so the XS lane
 * compares both engines exactly. Samples are 1 s apart; the detector judges from minute 15.
 */
import type { Json, Suite } from '../harness';
import { ChangeDetector, trendNoise, type ChangeEvent } from '../../src/analytics/change-detector';
import { normalUpperQuantile } from '../../src/analytics/normal-tail';
import { RampOnset, rampOnsetLimit, rampOnsetNorm } from '../../src/analytics/ramp-onset';
import { mulberry32 } from './prng';

const T0 = 1_700_000_000_000;
const WARM = 20 * 60;

/** Noise of about `sigma` (sum of three uniforms), quantised down to `step` like a DS18B20. */
function sensor(seed: number, sigma: number, step: number): (truth: number) => number {
  const rand = mulberry32(seed);
  const k = sigma * 2; // three uniforms in [-0.5, 0.5): sd 0.5, times 2 sigma
  return (truth) => Math.floor((truth + k * (rand() + rand() + rand() - 1.5)) / step) * step;
}

interface Log {
  events: string[];
  at: number[];
}

/** Feeds `n` samples of truth(i) (i counted from 0 within this call) at 1 Hz; logs every event. */
function feed(d: ChangeDetector, read: (x: number) => number, from: number, n: number, truth: (i: number) => number, log: Log): number {
  for (let i = 0; i < n; i++) {
    const e: ChangeEvent = d.push(read(truth(i)), T0 + (from + i) * 1000);
    if (e !== 'none') {
      log.events.push(e === 'end' ? `end:${d.endReason}` : `${e}:${d.kind}:${d.direction}`);
      log.at.push(from + i);
    }
  }
  return from + n;
}

export const suite: Suite = {
  name: 'change-detector',
  cases: [
    {
      name: 'one 12-bit step after a steady window is not an anomaly (issue #13 input 1)',
      run: (t) => {
        const d = new ChangeDetector({ step: 0.0625 });
        const log: Log = { events: [], at: [] };
        let at = feed(d, (x) => x, 0, WARM, () => 21.5, log);
        t.equal(d.push(21.5625, T0 + at * 1000), 'none', 'one quantisation step, once');
        t.ok(d.score <= 2, `score ${d.score} is within the quantisation floor`);
        at = feed(d, (x) => x, at + 1, 3600, () => 21.5625, log);
        t.equal(log.events.length, 0, 'the same step held for an hour raises nothing');
        t.equal(d.scale, 0.03125, 'scale is floored at half the step');
        return [d.score, d.scale, d.alerts];
      },
    },
    {
      name: 'a one-sample spike is a spike on its own sample and ends on the next',
      run: (t) => {
        const d = new ChangeDetector({ step: 0.0625 });
        const read = sensor(3, 0.03, 0.0625);
        const log: Log = { events: [], at: [] };
        let at = feed(d, read, 0, WARM, () => 21.3, log);
        t.equal(log.events.length, 0, 'noise raises nothing');
        at = feed(d, read, at, 1, () => 26.3, log);
        t.equal(JSON.stringify(log.events), JSON.stringify(['start:spike:1']));
        t.ok(d.score > 100, 'large score');
        feed(d, read, at, 600, () => 21.3, log);
        t.equal(JSON.stringify(log.events), JSON.stringify(['start:spike:1', 'end:returned']));
        t.equal(log.at[1] - log.at[0], 1, 'ends on the next sample');
        return [log.events.join(','), log.at[0], d.alerts] as Json;
      },
    },
    {
      name: 'a lasting +1 °C step: a spike that becomes a shift, lasts, and is accepted as the new baseline',
      run: (t) => {
        const d = new ChangeDetector({ step: 0.0625 });
        const read = sensor(4, 0.03, 0.0625);
        const log: Log = { events: [], at: [] };
        const at = feed(d, read, 0, WARM, () => 21.3, log);
        feed(d, read, at, 3600, () => 22.3, log);
        t.equal(log.events[0], 'start:spike:1', 'seen on its first sample');
        t.equal(log.events[1], 'update:shift:1', 'the next sample makes it a level shift');
        t.equal(log.at[1] - log.at[0], 1);
        t.equal(log.events[2], 'end:rebaselined', 'it ends only by accepting the new level');
        t.ok(log.at[2] - at >= 15 * 60, `accepted after 15 steady minutes (${log.at[2] - at} s)`);
        t.equal(log.events.length, 3, 'and nothing after');
        t.close(d.baseline, 22.3, 0.002, 'the accepted baseline is the new level');
        return [log.events.join(','), log.at[2] - at];
      },
    },
    {
      name: 'a step that goes away ends as returned',
      run: (t) => {
        const d = new ChangeDetector({ step: 0.0625 });
        const read = sensor(5, 0.01, 0.0625);
        const log: Log = { events: [], at: [] };
        let at = feed(d, read, 0, WARM, () => 20, log);
        at = feed(d, read, at, 120, () => 19, log);
        t.equal(JSON.stringify(log.events), JSON.stringify(['start:spike:-1', 'update:shift:-1']));
        feed(d, read, at, 600, () => 20, log);
        t.equal(log.events[2], 'end:returned');
        t.equal(log.events.length, 3);
        return log.events as Json;
      },
    },
    {
      name: 'a +0.3 °C step is a shift within 10 samples; a +3 °C ramp over 10 minutes is a trend within 120 s',
      run: (t) => {
        const step = new ChangeDetector({ step: 0.0625 });
        const read = sensor(6, 0.03, 0.0625);
        const log: Log = { events: [], at: [] };
        const at = feed(step, read, 0, WARM, () => 21.1, log);
        feed(step, read, at, 60, () => 21.4, log);
        t.ok(log.at.length > 0 && log.at[0] - at <= 10, `detected after ${log.at[0] - at} samples`);
        t.ok(/^start:(spike|shift):1$/.test(log.events[0]), log.events[0]);
        const ramp = new ChangeDetector({ step: 0.0625 });
        const read2 = sensor(7, 0.03, 0.0625);
        const log2: Log = { events: [], at: [] };
        const at2 = feed(ramp, read2, 0, WARM, () => 21.1, log2);
        feed(ramp, read2, at2, 600, (i) => 21.1 + (3 * (i + 1)) / 600, log2);
        t.ok(/^start:(shift|trend):1$/.test(log2.events[0]), log2.events[0]);
        t.ok(log2.at[0] - at2 <= 120, `ramp seen after ${log2.at[0] - at2} s`);
        const kinds = log2.events.join(',');
        t.ok(kinds === 'start:trend:1' || kinds === 'start:shift:1,update:trend:1', `one alert for the whole ramp, called a trend: ${kinds}`);
        return [log.events[0], log.at[0] - at, kinds, log2.at[0] - at2];
      },
    },
    {
      name: 'at 0.1 Hz: a +3 °C ramp over 10 minutes within 2 samples (sigma 0.03); a steady sensor for a day raises nothing',
      run: (t) => {
        const delays: number[] = [];
        for (let seed = 20; seed < 30; seed++) {
          const d = new ChangeDetector({ step: 0.0625 });
          const read = sensor(seed, 0.03, 0.0625);
          let onsetAt = -1;
          for (let k = 0; k < 240; k++) {
            const offset = k < 180 ? 0 : (3 * (k - 179)) / 60;
            if (d.push(read(21.2 + offset), T0 + k * 10_000) === 'start') {
              onsetAt = k - 180;
              break;
            }
          }
          t.ok(onsetAt >= 0, `seed ${seed}: the ramp is caught, not before its onset (${onsetAt})`);
          delays.push(onsetAt);
        }
        const sorted = delays.slice().sort((a, b) => a - b);
        t.ok(sorted[4] <= 2 && sorted[5] <= 3, `median delay within 2 samples: ${sorted.join(',')}`);
        const steady = new ChangeDetector({ step: 0.0625 });
        const read = sensor(31, 0.03, 0.0625);
        for (let k = 0; k < 8640; k++) steady.push(read(21.23), T0 + k * 10_000);
        t.equal(steady.alerts, 0, 'a steady day at 0.1 Hz');
        return [sorted.join(','), steady.alerts];
      },
    },
    {
      name: 'RampOnset: the ramp-weighted departure and its limit from a false-alarm budget',
      run: (t) => {
        const r = new RampOnset(3);
        t.equal(r.push(20.1, 20), 0, 'nothing before three samples');
        t.equal(r.push(20.2, 20.01), 0);
        t.close(r.push(20.3, 20.02), (0.1 + 2 * 0.2 + 3 * 0.3) / 6, 1e-12, 'D from the oldest sample\'s reference: 7s/3 for slope s');
        t.close(r.rise(), 0.2, 1e-12);
        t.close(r.mean(), 0.2, 1e-12);
        t.close(r.push(20.4, 20.03), (0.2 + 2 * 0.3 + 3 * 0.4) / 6 - 0.01, 1e-12, 'the window slides: the reference is the new oldest one\'s');
        r.reset();
        t.equal(r.push(21, 21), 0, 'a reset needs three samples again');
        const r6 = new RampOnset(6);
        let d6 = 0;
        for (let i = 1; i <= 8; i++) d6 = r6.push(20 + 0.05 * i, 20 + 0.05 * (i - 3));
        // Oldest of the window is i = 3 (reference 20): D = 0.05·(2 + (2m + 1)/3) with m = 6.
        t.close(d6, 0.05 * (2 + 13 / 3), 1e-12, 'a ramp in a window of 6: s·(2m + 1)/3 past the oldest reference');
        t.close(rampOnsetNorm(3), Math.sqrt(14) / 6, 1e-15);
        t.close(rampOnsetNorm(6), Math.sqrt(91) / 21, 1e-15);
        t.throws(() => new RampOnset(1), /window/);
        // The running sums against the definition over a long stream (and across a reset).
        const rand = mulberry32(41);
        const xs: number[] = [];
        const rs: number[] = [];
        const r5 = new RampOnset(5);
        let worst = 0;
        for (let k = 0; k < 3000; k++) {
          if (k === 1234) {
            r5.reset();
            xs.length = 0;
            rs.length = 0;
          }
          const x = 20 + 5 * rand();
          const ref = 20 + 5 * rand();
          xs.push(x);
          rs.push(ref);
          const got = r5.push(x, ref);
          if (xs.length < 5) continue;
          const n = xs.length;
          let w = 0;
          for (let i = 1; i <= 5; i++) w += i * xs[n - 6 + i];
          const want = w / 15 - rs[n - 5];
          const err = Math.abs(got - want);
          if (err > worst) worst = err;
        }
        t.ok(worst < 1e-9, `running sums within 1e-9 of the definition (worst ${worst})`);
        // Exact upper quantiles of N(0, 1): 1e-3 -> 3.090232, 1e-4 -> 3.719016, 1e-6 -> 4.753424.
        const exact: [number, number][] = [[1e-3, 3.090232], [1e-4, 3.719016], [1e-6, 4.753424]];
        for (const [p, z] of exact) {
          const q = normalUpperQuantile(p);
          t.ok(q >= z && q - z < 0.03, `p ${p}: ${q} is at or just above ${z}`);
        }
        t.throws(() => normalUpperQuantile(0.5), /p must be/);
        t.throws(() => normalUpperQuantile(0), /p must be/);
        const at1 = rampOnsetLimit(3, 0.02, 1000, 0.0165);
        const at01 = rampOnsetLimit(3, 0.02, 10_000, 0.08);
        t.ok(at1 > at01, 'more samples a day need a wider limit');
        t.ok(rampOnsetLimit(6, 0.02, 10_000, 0.08) < at01, 'a longer window averages more: a narrower limit in scale units');
        t.ok(rampOnsetLimit(3, 0.02, 5 * 86_400_000, 0.5) > 0, 'samples days apart: the budget per sample is capped, no throw');
        return [Number(at1.toFixed(6)), Number(at01.toFixed(6))];
      },
    },
    {
      name: 'an HVAC cycle (±0.5 °C, 20 min) for 6 hours raises nothing',
      run: (t) => {
        const d = new ChangeDetector({ step: 0.0625 });
        const read = sensor(8, 0.03, 0.0625);
        const log: Log = { events: [], at: [] };
        feed(d, read, 0, 6 * 3600, (i) => {
          const phase = (i / 1200) % 1;
          return 20.5 + 2 * (phase < 0.5 ? phase : 1 - phase);
        }, log);
        t.equal(log.events.length, 0, log.events.join(','));
        t.ok(d.ratePerMin !== 0, 'the slope is tracked');
        return [d.alerts];
      },
    },
    {
      name: 'interrupt ends an active alert and starts afresh; nothing is judged in the warm-up',
      run: (t) => {
        const d = new ChangeDetector({ step: 0.0625 });
        const log: Log = { events: [], at: [] };
        let at = feed(d, (x) => x, 0, 60, () => 21, log);
        at = feed(d, (x) => x, at, 1, () => 30, log);
        t.equal(log.events.length, 0, 'a jump in the first minutes is not judged');
        at = feed(d, (x) => x, at, WARM, () => 21, log);
        at = feed(d, (x) => x, at, 5, () => 25, log);
        t.equal(d.active, true);
        t.equal(d.interrupt(), true, 'an alert was active');
        t.equal(d.active, false);
        t.equal(d.interrupt(), false, 'nothing to end twice');
        feed(d, (x) => x, at, 60, () => 25, log);
        t.equal(d.active, false, 'a new warm-up after an interruption');
        t.throws(() => new ChangeDetector({ step: 0 }), /step/);
        t.throws(() => d.setStep(NaN), /step/);
        d.setStep(0.5);
        t.equal(d.step, 0.5);
        return [d.samples, d.alerts];
      },
    },
    {
      name: "Brown's slope noise: closed form against the impulse response",
      run: (t) => {
        const out: number[] = [];
        for (const a of [0.05, 0.28, 0.63]) {
          let l1 = 0;
          let l2 = 0;
          let sum = 0;
          for (let n = 0; n < 5000; n++) {
            l1 += a * ((n === 0 ? 1 : 0) - l1);
            l2 += a * (l1 - l2);
            const b = (a / (1 - a)) * (l1 - l2);
            sum += b * b;
          }
          t.close(trendNoise(a), Math.sqrt(sum), 1e-9, `a = ${a}`);
          out.push(trendNoise(a));
        }
        return out;
      },
    },
  ],
};
