/** Sensor registry: scan diffs, statuses per fault class, no stale current values, calibration. */
import type { Suite } from '../harness';
import { Ds18b20Driver } from '../../src/sensors/ds18b20';
import { SensorRegistry } from '../../src/sensors/registry';
import { SimulatedOneWireBus } from '../../simulator/hardware/onewire-bus';

function world(count: number) {
  const bus = new SimulatedOneWireBus({ seed: 77 });
  for (let i = 0; i < count; i++) bus.addSensor({ resolution: 9, thermal: { ambient: 20 + i, noise: 0 } });
  const driver = new Ds18b20Driver(bus);
  const events: string[] = [];
  const registry = new SensorRegistry({
    onAdded: (id) => events.push(`added ${id.slice(-2)}`),
    onVanished: (id) => events.push(`vanished ${id.slice(-2)}`),
    onReturned: (id) => events.push(`returned ${id.slice(-2)}`),
    onStatus: (id, status, reason) => events.push(`${id.slice(-2)} ${status}${reason ? ' ' + reason : ''}`),
  });
  const rescan = () => registry.applyScan(driver.scan());
  const sample = () => registry.applyReadings(driver.readCycle((ms) => bus.advance(ms)), bus.now(), driver.list());
  return { bus, driver, registry, events, rescan, sample };
}

export const suite: Suite = {
  name: 'sensor-registry',
  cases: [
    {
      name: 'rescans report added, vanished and returned sensors',
      run: (t) => {
        const { bus, registry, rescan, events } = world(3);
        const first = rescan();
        t.equal(first.added.length, 3);
        const [a, b] = bus.devices;
        bus.setFault(a.id, { disconnected: true });
        const second = rescan();
        t.equal(second, { added: [], returned: [], vanished: [a.id] });
        t.equal(registry.get(a.id)?.status, 'missing');
        const extra = bus.addSensor();
        bus.setFault(a.id, { disconnected: false });
        bus.remove(b.id);
        const third = rescan();
        t.equal(third, { added: [extra.id], returned: [a.id], vanished: [b.id] });
        t.equal(registry.list().length, 4);
        return events.length;
      },
    },
    {
      name: 'each fault class: current reading undefined, lastGood kept, status and counts right',
      run: (t) => {
        const { bus, registry, rescan, sample } = world(6);
        rescan();
        sample();
        const ids = bus.devices.map((d) => d.id);
        t.equal(registry.list().map((e) => e.status), ['online', 'online', 'online', 'online', 'online', 'online']);
        const before = ids.map((id) => registry.get(id)?.celsius);
        bus.setFault(ids[0], { crcCorruption: 1 });
        bus.setFault(ids[1], { disconnected: true });
        bus.setFault(ids[2], { zeroScratchpad: true });
        bus.setFault(ids[3], { powerOnReset: 'always' });
        bus.setFault(ids[4], { slowFactor: 4 });
        bus.advance(1000);
        sample();
        const expected: [string, string][] = [
          ['faulty', 'crc'],
          ['missing', 'no-response'],
          ['faulty', 'all-zero'],
          ['faulty', 'power-on-85'],
          ['faulty', 'slow-conversion'],
          ['online', ''],
        ];
        ids.forEach((id, i) => {
          const e = registry.get(id);
          if (!e) throw new Error('entry missing');
          t.equal([e.status, e.reason ?? ''], expected[i], `sensor ${i}`);
          if (i < 5) {
            t.equal(e.celsius, undefined, `sensor ${i} must not report a current value`);
            t.equal(e.lastGood?.celsius, before[i], `sensor ${i} keeps its last good value`);
            t.equal(e.counts.consecutiveFaults, 1);
            t.ok(e.lastGood !== undefined && e.lastGood.at < bus.now());
          } else {
            t.equal(e.celsius, 25);
          }
        });
        t.equal(registry.get(ids[0])?.counts.byReason, { crc: 1 });
        t.equal(registry.get(ids[3])?.counts.powerOnResets, 1);
        // Bus short: everyone faulty with the same reason, nobody current.
        for (const id of ids) bus.clearFaults(id);
        bus.setFault(ids[5], { busShort: true });
        sample();
        t.equal(registry.list().map((e) => `${e.status} ${e.reason}`), ids.map(() => 'faulty bus-short'));
        t.equal(registry.list().filter((e) => e.celsius !== undefined).length, 0);
        // A rescan during the short fails instead of declaring every sensor vanished.
        const during = rescan();
        t.equal(during.vanished, []);
        t.equal(registry.list().map((e) => e.status), ids.map(() => 'faulty'));
        // Recovery: all online and current again.
        bus.clearFaults(ids[5]);
        sample();
        t.equal(ids.map((id) => registry.get(id)?.celsius), [20, 21, 22, 23, 24, 25]);
        return registry.list().map((e) => e.counts.faults);
      },
    },
    {
      name: 'calibration offset and friendly name apply to current and last good values',
      run: (t) => {
        const { bus, registry, rescan, sample } = world(1);
        rescan();
        sample();
        const id = bus.devices[0].id;
        registry.configure(id, { name: 'boiler', offset: -0.5 });
        t.equal(registry.get(id)?.celsius, 19.5);
        sample();
        const e = registry.get(id);
        t.equal([e?.name, e?.celsius, e?.lastGood?.celsius], ['boiler', 19.5, 19.5]);
        return e?.celsius ?? null;
      },
    },
  ],
};
