/** LimitAlarm vectors, run in Node and in XS: hold time, hysteresis, one alarm for noise at a limit. */
import type { Suite } from '../harness';
import { LimitAlarm } from '../../src/analytics/limit-alarm';
import { mulberry32 } from './prng';

function run(a: LimitAlarm, values: number[], stepMs: number, from = 0): string[] {
  const out: string[] = [];
  values.forEach((x, i) => {
    const e = a.push(x, (from + i) * stepMs);
    if (e !== 'none') out.push(`${i}:${e}:${a.side}${e === 'end' ? ':' + a.endReason : ''}`);
  });
  return out;
}

export const suite: Suite = {
  name: 'limit-alarm',
  cases: [
    {
      name: 'a high alarm starts after the hold time and ends below the hysteresis band',
      run: (t) => {
        const a = new LimitAlarm();
        a.configure(30, NaN, 0.5, 3000);
        const log = run(a, [29, 31, 31, 31, 31, 29.8, 29.6, 29.4, 29], 1000);
        t.equal(log.join(' '), '4:start:high 7:end:high:returned', 'held 3 s; 29.8 and 29.6 are inside the band');
        t.equal(a.alarms, 1);
        return log;
      },
    },
    {
      name: 'a spike shorter than the hold time raises nothing; a low alarm mirrors the high one',
      run: (t) => {
        const a = new LimitAlarm();
        a.configure(30, 2, 0.5, 60_000);
        t.equal(run(a, [20, 40, 20, 20], 10_000).length, 0, '10 s above 30 is not an alarm');
        const log = run(a, [1, 1.9, 1.5, 1.8, 1.9, 2.4, 2.6], 20_000, 10);
        t.equal(log.join(' '), '3:start:low 6:end:low:returned');
        return log;
      },
    },
    {
      name: 'noise around a limit gives one alarm, not a chatter',
      run: (t) => {
        const a = new LimitAlarm();
        a.configure(-18, NaN, 0.5, 60_000);
        const rand = mulberry32(3);
        const values: number[] = [];
        for (let i = 0; i < 3600; i++) values.push(-18 + (rand() - 0.5) * 0.6); // a freezer at its limit
        const log = run(a, values, 1000);
        t.equal(log.length, 1, log.join(' '));
        t.ok(/^\d+:start:high$/.test(log[0]), log[0]);
        return log;
      },
    },
    {
      name: 'a missing sensor ends the alarm with its reason; removing the limit ends it as reconfigured',
      run: (t) => {
        const a = new LimitAlarm();
        a.configure(30, NaN, 0.5, 0);
        t.equal(a.push(31, 0), 'start');
        t.equal(a.interrupt('missing'), 'end');
        t.equal(a.endReason, 'missing');
        t.equal(a.interrupt('missing'), 'none', 'once');
        t.equal(a.push(31, 1000), 'start', 'judged again when values return');
        t.equal(a.configure(NaN, NaN, 0.5, 0), 'end');
        t.equal(a.endReason, 'reconfigured');
        t.equal(a.push(99, 2000), 'none', 'no limits, no alarm');
        return [a.alarms];
      },
    },
  ],
};
