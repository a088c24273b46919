/**
 * XS entry for bench/analytics.ts's whole-device memory figure: the device application
 * (bench/budget/day.ts: the real app, hub and MQTT clients against a simulated hub, simulated
 * time) with N simulated sensors. The test host keeps every display model it was given
 * (FakeHost.rendered, for assertions); `drop` forgets them so only what the device holds stays live.
 */
import { serve } from '../../test/xs/serve';
import { DeviceDay, type Scenario } from '../budget/day';

let day: DeviceDay | undefined;

function current(): DeviceDay {
  if (day === undefined) throw new Error('no day: send create first');
  return day;
}

serve({
  create: (arg) => {
    day = new DeviceDay(arg as unknown as Scenario);
    return null;
  },
  /** Runs `ms` of simulated time; returns the events run. */
  run: (ms) => {
    const d = current();
    const stop = d.elapsedMs + (ms as number);
    let events = 0;
    while (d.next(stop)) events++;
    return events;
  },
  drop: () => {
    current().host.rendered.length = 0;
    return null;
  },
  hubMessages: () => current().counts().hubMessages,
});
