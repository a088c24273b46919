/**
 * Shared (Node + XS): the DS18B20 driver against what field sensors do (issue 12): clones whose
 * reserved bytes never change, a configuration register that ignores writes, EEPROM writes only
 * when the stored value differs, power cycles.
 */
import type { Suite } from '../harness';
import { Ds18b20Driver, type SensorReading } from '../../src/sensors/ds18b20';
import { SimulatedOneWireBus, type AddSensorOptions } from '../../simulator/hardware/onewire-bus';

/** A clone that keeps its reserved bytes at Maxim's power-on values forever (FFh, 0Ch, 10h). */
const CLONE = Object.freeze({ reserved: Object.freeze([0xff, 0x0c, 0x10]) as readonly [number, number, number] });

function setup(sensors: AddSensorOptions[]) {
  const bus = new SimulatedOneWireBus({ seed: 3 });
  const devices = sensors.map((s) => bus.addSensor({ ...s, thermal: { noise: 0, ...s.thermal } }));
  const driver = new Ds18b20Driver(bus);
  driver.scan();
  const cycle = (): SensorReading[] => driver.readCycle((ms) => bus.advance(ms));
  const of = (readings: SensorReading[], i: number): SensorReading => readings.find((x) => x.id === devices[i].id) as SensorReading;
  return { bus, devices, driver, cycle, of };
}

export const suite: Suite = {
  name: 'sensors/field',
  cases: [
    {
      name: '85 °C on clones: a clone really at 85 °C is reported, a clone that resets on every conversion never is',
      run(t) {
        const { bus, devices, cycle, of } = setup([
          { clone: CLONE, thermal: { ambient: 85 } },
          { clone: CLONE, thermal: { ambient: 40.5 } },
          { clone: CLONE, thermal: { ambient: 41 } },
          { thermal: { ambient: 85 } },
        ]);
        bus.setFault(devices[1].id, { powerOnReset: 'once' });
        bus.setFault(devices[2].id, { powerOnReset: 'always' });
        const out: (number | string)[] = [];
        for (let round = 0; round < 3; round++) {
          const r = cycle();
          t.equal(of(r, 0).celsius, 85, 'a clone at a real 85 °C');
          t.equal(of(r, 3).celsius, 85, 'a genuine part at a real 85 °C');
          t.equal(of(r, 2).fault, 'power-on-85', 'a clone resetting on every conversion');
          t.equal(of(r, 2).celsius, undefined);
          t.equal(of(r, 1).celsius, 40.5);
          for (const x of r) out.push(x.celsius ?? x.fault ?? '?');
        }
        // What the old check relied on: the clone's reserved bytes look like a power-on state
        // even after a real conversion, so they cannot tell the two apart.
        t.equal(Array.from(devices[0].scratchpad.slice(5, 8)), [0xff, 0x0c, 0x10]);
        // The mark is gone again: TH is back at its EEPROM value on every sensor.
        t.equal(devices.map((d) => d.scratchpad[2]), devices.map((d) => d.eeprom[0]));
        t.equal(devices.map((d) => d.eepromWrites), [0, 0, 0, 0], 'the check never writes EEPROM');
        return out;
      },
    },
    {
      name: 'resolution 9: EEPROM written once per sensor that differs, never again; a register stuck at 7Fh refuses with what it reads',
      run(t) {
        const { bus, devices, driver, cycle, of } = setup([{ thermal: { ambient: 21.25 } }, { thermal: { ambient: 21.25 } }, { resolution: 9, thermal: { ambient: 21.25 } }, { thermal: { ambient: 21.25 } }]);
        bus.setFault(devices[3].id, { configLocked: true });
        const first = driver.configure({ resolution: 9 }, { persist: true });
        t.equal(first.refused.map((f) => f.id), [devices[3].id]);
        t.ok(/ignores writes: wrote 1Fh, reads 7Fh \(12 bits\)/.test(first.refused[0]?.reason ?? ''), first.refused[0]?.reason);
        t.equal(first.copied, [devices[0].id], 'one copy per call');
        t.equal(first.copyPending, [devices[1].id], 'the third holds 9 in EEPROM already: no copy');
        t.equal(first.waitMs, 10);
        bus.advance(first.waitMs);
        const second = driver.configure({ resolution: 9 }, { persist: true });
        t.equal(second.copied, [devices[1].id]);
        bus.advance(second.waitMs);
        const third = driver.configure({ resolution: 9 }, { persist: true });
        t.equal([third.copied.length, third.copyPending.length, third.waitMs], [0, 0, 0]);
        t.equal(devices.map((d) => d.eepromWrites), [1, 1, 0, 0]);
        const bits = devices.map((d) => driver.list().find((x) => x.id === d.id)?.resolution);
        t.equal(bits, [9, 9, 9, 12], 'the resolution each sensor reads back');
        // A power cycle: the EEPROM brings 9 bits back by itself; re-applying writes nothing.
        bus.powerCycle();
        const r = cycle();
        t.equal(devices.map((_, i) => of(r, i).celsius), [21, 21, 21, 21.25]);
        const again = driver.configure({ resolution: 9 }, { persist: true });
        t.equal(again.copied.length + again.copyPending.length, 0);
        t.equal(devices.map((d) => d.eepromWrites), [1, 1, 0, 0], 'no EEPROM write for a value it holds');
        return { refused: first.refused[0]?.reason ?? null, writes: devices.map((d) => d.eepromWrites) };
      },
    },
    {
      name: 'every sensor needs the copy: one SKIP ROM copy for all',
      run(t) {
        const { bus, devices, driver } = setup([{}, {}, {}]);
        const r = driver.configure({ resolution: 10 }, { persist: true });
        t.equal(r.copied.length, 3);
        t.equal(r.copyPending, []);
        bus.advance(r.waitMs);
        bus.reset(); // the simulated devices settle what finished on the next bus operation
        t.equal(devices.map((d) => d.eepromWrites), [1, 1, 1]);
        return r.copied.length;
      },
    },
  ],
};
