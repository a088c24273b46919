/**
 * The issue #13 "done when": healthy simulated sensors raise no anomaly. The sensors `npm start`
 * simulates (simulator/main.ts: ambient 20, 21.5, 23 °C, noise 0.05 °C, the first drifting
 * 0.5 °C/h, 12 bits) on the simulated 1-Wire bus, read by the firmware's BusSensorSource and judged
 * by the device's analytics at its defaults, in simulated time: 2 hours, well past the 10 minutes
 * the issue asks for (and the detector's 15-minute warm-up).
 */
import { describe, expect, it } from 'vitest';
import { windowAnalytics } from '../../src/device/adapters/analytics';
import { BusSensorSource } from '../../src/device/adapters/sensors';
import { startDevice } from '../../src/device/app';
import { SimulatedOneWireBus } from '../../simulator/hardware/onewire-bus';
import { FakeHost } from './fake-host';
import { FakeHub } from './fakes';

describe('healthy simulated sensors', () => {
  it('raise no anomaly alert over 2 simulated hours of the npm start setup; a real spike still does', () => {
    const host = new FakeHost();
    const bus = new SimulatedOneWireBus({ seed: 1000, now: () => host.clock.now() });
    const ids: string[] = [];
    for (let k = 0; k < 3; k++) ids.push(bus.addSensor({ thermal: { ambient: 20 + k * 1.5, noise: 0.05, driftPerHour: k === 0 ? 0.5 : 0 } }).id);
    const hub = new FakeHub();
    let rounds = 0;
    let marked = 0;
    const device = startDevice(
      host,
      { sensors: new BusSensorSource(bus, host.timers, host.clock, host.log), hub, analytics: windowAnalytics({ window: 60 }) },
      {
        deviceId: 'healthy-1',
        config: { samplingIntervalMs: 1000, telemetryIntervalMs: 5000 },
        onSample: (e) => {
          rounds++;
          for (const s of e.sensors) if (s.stats?.anomaly) marked++;
        },
      },
    );
    hub.connect();
    for (let i = 0; i < 2 * 3600; i++) host.advance(1000);
    const alerts = () => hub.sent.filter((m) => m.properties.alert === 'anomaly').map((m) => JSON.parse(m.body) as { state: string; kind: string });
    expect(rounds).toBeGreaterThan(7000);
    expect(alerts()).toEqual([]);
    expect(marked).toBe(0);
    expect(device.display().anomaly).toBe(false);
    // The same setup is not blind: the dashboard's spike fault (+12 °C for 4 s) is an alert.
    bus.injectSpike(ids[1], 12, 4000);
    for (let i = 0; i < 60; i++) host.advance(1000);
    expect(alerts().map((a) => `${a.state}:${a.kind}`).slice(0, 2)).toEqual(['start:spike', 'update:shift']);
    device.stop();
  });
});
