/**
 * XS entry for bench/budget.ts: one simulated device-day (bench/budget/day.ts) run inside XS,
 * one `batch` command per `step` ms of simulated time (promise reactions run between commands;
 * bench/budget.ts says why batches rather than single events), each command's computrons the
 * cost of that stretch of the device's life (minus a noop's). Also bench/analytics.ts's
 * whole-device memory figure (run, drop: live slots with N sensors).
 */
import type { Json } from '../../test/harness';
import { serve } from '../../test/xs/serve';
import { DeviceDay, type Scenario } from '../budget/day';

let day: DeviceDay | undefined;
let end = 0;

function current(): DeviceDay {
  if (day === undefined) throw new Error('no day: send create first');
  return day;
}

serve({
  create: (arg) => {
    day = new DeviceDay(arg as unknown as Scenario);
    return null;
  },
  /** Sets where `next` stops: counted ms (after reset) or warm-up ms. */
  until: (arg) => {
    end = arg as number;
    return null;
  },
  next: () => current().next(end),
  /** Runs every event up to the next multiple of `step` ms of counted time (or `end`); false when done. */
  batch: (step) => {
    const d = current();
    const stop = Math.min(end, (Math.floor(d.elapsedMs / (step as number)) + 1) * (step as number));
    while (d.next(stop));
    return d.elapsedMs < end;
  },
  reset: () => {
    current().resetCounts();
    return null;
  },
  /** Runs every event of `n` telemetry intervals in this one command (no promise turn between). */
  intervals: (n) => {
    const d = current();
    const stop = d.elapsedMs + (n as number) * d.profile.telemetryIntervalMs;
    let events = 0;
    while (d.next(stop)) events++;
    return events;
  },
  counts: () => current().counts() as unknown as Json,
  /** Runs `ms` of simulated time from now; returns the events run (bench/analytics.ts's memory figure). */
  run: (ms) => {
    const d = current();
    const stop = d.elapsedMs + (ms as number);
    let events = 0;
    while (d.next(stop)) events++;
    return events;
  },
  /** The test host keeps every display model it was given (FakeHost.rendered): forgets them, so only what the device holds stays live. */
  drop: () => {
    current().host.rendered.length = 0;
    return null;
  },
  hubMessages: () => current().counts().hubMessages,
});
