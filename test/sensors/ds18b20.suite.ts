/** DS18B20 driver on the simulated bus: timing, decoding, configuration, parasite power, every fault class. */
import type { Suite } from '../harness';
import { Ds18b20Driver, type SensorReading } from '../../src/sensors/ds18b20';
import { Ds18b20Sampler } from '../../src/sensors/sampler';
import { checkScratchpad } from '../../src/sensors/scratchpad';
import { decodeTemperature, encodeTemperature } from '../../src/sensors/temperature';
import { SimulatedOneWireBus, type AddSensorOptions } from '../../simulator/hardware/onewire-bus';
import type { Timers } from '../../src/platform';

function setup(sensors: AddSensorOptions[], seed = 1, busOptions: { strongPullup?: boolean } = {}) {
  const bus = new SimulatedOneWireBus({ seed, ...busOptions });
  const devices = sensors.map((s) => bus.addSensor({ ...s, thermal: { noise: 0, ...s.thermal } }));
  const driver = new Ds18b20Driver(bus);
  const scan = driver.scan();
  const cycle = (): SensorReading[] => driver.readCycle((ms) => bus.advance(ms));
  const byId = (readings: SensorReading[], id: string): SensorReading => {
    const r = readings.find((x) => x.id === id);
    if (!r) throw new Error(`no reading for ${id}`);
    return r;
  };
  return { bus, devices, driver, scan, cycle, byId };
}

const at = (ambient: number): AddSensorOptions => ({ thermal: { ambient } });

export const suite: Suite = {
  name: 'ds18b20',
  cases: [
    {
      name: 'datasheet register vectors decode and encode exactly (12 bits)',
      run: (t) => {
        const table: [number, number][] = [
          [125, 0x07d0], [85, 0x0550], [25.0625, 0x0191], [10.125, 0x00a2], [0.5, 0x0008],
          [0, 0x0000], [-0.5, 0xfff8], [-10.125, 0xff5e], [-25.0625, 0xfe6f], [-55, 0xfc90],
        ];
        for (const [c, raw] of table) {
          t.equal(decodeTemperature(raw & 0xff, raw >> 8, 12), c, `decode ${raw.toString(16)}`);
          t.equal(encodeTemperature(c, 12), raw, `encode ${c}`);
        }
        // Undefined low bits are masked at lower resolutions: FF5Fh has bit 0 set.
        t.equal(decodeTemperature(0x5f, 0xff, 11), -10.125);
        t.equal(decodeTemperature(0x5f, 0xff, 9), -10.5);
        t.equal(decodeTemperature(0xa7, 0x00, 10), 10.25);
        return table.map(([c]) => c);
      },
    },
    {
      name: 'a read cycle of 4 sensors takes 2.08 + tCONV + 11.6·N ms of bus time (+ one busy poll)',
      run: (t) => {
        const { bus, cycle } = setup([at(20), at(21), at(22), at(23)].map((s) => ({ ...s, resolution: 9 as const })));
        const t0 = bus.now();
        const readings = cycle();
        const elapsed = bus.now() - t0;
        t.close(elapsed, 2.08 + 93.75 + 11.6 * 4 + 0.07, 1e-9);
        t.equal(readings.map((r) => r.celsius).sort(), [20, 21, 22, 23]);
        return elapsed;
      },
    },
    {
      name: 'negative and extreme temperatures: -10.125, -55.0, +125.0 exact; -0.0625 sign-extended',
      run: (t) => {
        const { cycle, devices, byId } = setup([at(-10.125), at(-55), at(125), at(-0.0625)]);
        const r = cycle();
        const values = devices.map((d) => byId(r, d.id).celsius);
        t.equal(values, [-10.125, -55, 125, -0.0625]);
        return values as number[];
      },
    },
    {
      name: 'resolution masks the ADC steps: 9/10/11/12 bits of 21.3125 and -10.0625',
      run: (t) => {
        const out: number[] = [];
        for (const resolution of [9, 10, 11, 12] as const) {
          const { cycle, driver } = setup([{ resolution, thermal: { ambient: 21.3125 } }, { resolution, thermal: { ambient: -10.0625 } }]);
          t.equal(driver.list()[0].resolution, resolution);
          for (const r of cycle()) out.push(r.celsius as number);
        }
        t.equal(out, [21, -10.5, 21.25, -10.25, 21.25, -10.125, 21.3125, -10.0625]);
        return out;
      },
    },
    {
      name: 'resolution set to 9 bits: used at once, persisted to EEPROM only with persist',
      run: (t) => {
        const { bus, driver, cycle } = setup([at(22.4375), at(22.4375)]);
        const volatileSet = driver.configure({ resolution: 10 });
        t.equal(volatileSet.failed, []);
        t.equal(driver.conversionTimeMs(), 187.5);
        t.equal(cycle().map((r) => r.celsius), [22.25, 22.25]);
        bus.powerCycle();
        // Not persisted: back to 12 bits. The driver learns it when the conversion runs long.
        t.equal(cycle().map((r) => r.celsius), [22.4375, 22.4375]);
        t.equal(driver.list().map((s) => s.resolution), [12, 12], 'not persisted: back to 12 bits');

        const persisted = driver.configure({ resolution: 9, alarmHigh: 40, alarmLow: -5 }, { persist: true });
        t.equal(persisted.failed, []);
        t.equal(persisted.waitMs, 10);
        bus.advance(persisted.waitMs);
        bus.powerCycle();
        t.equal(driver.scan().sensors.map((s) => s.resolution), [9, 9], 'persisted');
        const eeprom = driver.recallEeprom(driver.list()[0].id);
        t.equal(eeprom, { alarmHigh: 40, alarmLow: -5, resolution: 9 });
        const t0 = bus.now();
        t.equal(cycle().map((r) => r.celsius), [22, 22]);
        t.close(bus.now() - t0, 2.08 + 93.75 + 0.07 + 2 * 11.6, 1e-9);
        return bus.devices.map((d) => Array.from(d.eeprom));
      },
    },
    {
      name: 'parasite power: detected by READ POWER SUPPLY, fed by the strong pull-up, persisted copies too',
      run: (t) => {
        const { bus, driver, scan, cycle } = setup([{ parasite: true, thermal: { ambient: 30.5 } }, at(18)]);
        t.equal(scan.sensors.map((s) => s.parasite), [true, false]);
        t.equal(cycle().map((r) => r.celsius), [30.5, 18]);
        const set = driver.configure({ resolution: 11 }, { persist: true });
        bus.advance(set.waitMs);
        bus.powerCycle();
        t.equal(driver.scan().sensors.map((s) => s.resolution), [11, 11]);
        return bus.devices.map((d) => d.conversions);
      },
    },
    {
      name: 'parasite sensor on a bus without strong pull-up: reported as parasite-unsupported, never a reading',
      run: (t) => {
        const { cycle, devices, byId } = setup([{ parasite: true, thermal: { ambient: 30.5 } }, at(18)], 1, { strongPullup: false });
        const r = cycle();
        t.equal(byId(r, devices[0].id).celsius, undefined);
        t.equal(byId(r, devices[0].id).fault, 'parasite-unsupported');
        t.ok(/no strong pull-up/.test(byId(r, devices[0].id).detail ?? ''));
        t.equal(byId(r, devices[1].id).celsius, 18);
        return r.map((x) => x.fault ?? null);
      },
    },
    {
      name: '85.0 °C: a power-on reset is refused, a confirmed real 85 °C is accepted',
      run: (t) => {
        const { bus, cycle, devices, byId } = setup([at(85), at(40.5), at(41)]);
        // Real 85 °C: the re-read after a fresh conversion says 85 again (not the power-on bytes).
        let r = cycle();
        t.equal(byId(r, devices[0].id).celsius, 85);
        t.equal(byId(r, devices[0].id).powerOnReset, undefined, 'a real 85 °C is not a reset');
        // One power-on reset: the first read is the 85 power-on value, the fresh conversion is real.
        bus.setFault(devices[1].id, { powerOnReset: 'once' });
        r = cycle();
        t.equal(byId(r, devices[1].id).celsius, 40.5);
        t.equal(byId(r, devices[1].id).powerOnReset, true);
        // Resetting on every conversion: never reported.
        bus.setFault(devices[2].id, { powerOnReset: 'always' });
        r = cycle();
        t.equal(byId(r, devices[2].id).celsius, undefined);
        t.equal(byId(r, devices[2].id).fault, 'power-on-85');
        t.equal(byId(r, devices[1].id).celsius, 40.5);
        // A sensor whose 85 was never confirmed is refused even on its own scratchpad check path.
        const sp = bus.devices[2].scratchpad;
        const check = checkScratchpad(0x28, sp);
        t.ok(check.ok && check.powerOn85);
        return r.map((x) => x.celsius ?? x.fault ?? null);
      },
    },
    {
      name: 'CRC corruption: bounded retries recover occasional errors, persistent ones give no reading',
      run: (t) => {
        const { bus, cycle, devices, byId } = setup([at(20), at(21)]);
        bus.setFault(devices[0].id, { crcCorruption: 1 });
        let r = cycle();
        t.equal(byId(r, devices[0].id), { id: devices[0].id, fault: 'crc', detail: byId(r, devices[0].id).detail as string, attempts: 3 });
        t.equal(byId(r, devices[1].id).celsius, 21);
        bus.setFault(devices[0].id, { crcCorruption: 0.5 });
        let recovered = 0;
        let maxAttempts = 0;
        for (let i = 0; i < 20; i++) {
          r = cycle();
          const x = byId(r, devices[0].id);
          maxAttempts = Math.max(maxAttempts, x.attempts);
          if (x.celsius !== undefined) {
            t.equal(x.celsius, 20);
            if (x.attempts > 1) recovered++;
          } else t.equal(x.fault, 'crc');
        }
        t.ok(recovered > 0, 'some cycles recovered by a retry');
        t.ok(maxAttempts <= 3, 'never more than 1 + 2 retries');
        return [recovered, maxAttempts];
      },
    },
    {
      name: 'all-zero scratchpad, disconnect, open bus and bus short: no readings, distinct reasons',
      run: (t) => {
        const { bus, cycle, devices, byId } = setup([at(20), at(21), at(22)]);
        bus.setFault(devices[0].id, { zeroScratchpad: true });
        bus.setFault(devices[1].id, { disconnected: true });
        let r = cycle();
        t.equal([byId(r, devices[0].id).fault, byId(r, devices[1].id).fault, byId(r, devices[2].id).celsius], ['all-zero', 'no-response', 22]);
        t.equal(byId(r, devices[0].id).celsius, undefined);
        // Everyone gone: resets see no presence, the line floats high.
        for (const d of devices) bus.setFault(d.id, { disconnected: true, zeroScratchpad: false });
        r = cycle();
        t.equal(r.map((x) => x.fault), ['no-presence', 'no-presence', 'no-presence']);
        // A short: no presence and the line reads low.
        for (const d of devices) bus.clearFaults(d.id);
        bus.setFault(devices[2].id, { busShort: true });
        r = cycle();
        t.equal(r.map((x) => x.fault), ['bus-short', 'bus-short', 'bus-short']);
        t.equal(r.filter((x) => x.celsius !== undefined).length, 0);
        bus.clearFaults(devices[2].id);
        t.equal(cycle().map((x) => x.celsius), [20, 21, 22]);
        return r.map((x) => x.fault ?? null);
      },
    },
    {
      name: 'slow conversion: the late sensor is isolated and refused, the others still read',
      run: (t) => {
        const { bus, cycle, devices, byId } = setup([at(20), at(21), at(22)].map((s) => ({ ...s, resolution: 10 as const })));
        bus.setFault(devices[1].id, { slowFactor: 3 });
        const r = cycle();
        t.equal(byId(r, devices[1].id).fault, 'slow-conversion');
        t.equal(byId(r, devices[1].id).celsius, undefined);
        t.equal([byId(r, devices[0].id).celsius, byId(r, devices[2].id).celsius], [20, 21 + 1]);
        // Slightly slow (within the timeout): waited for, and the value is fresh.
        bus.setFault(devices[1].id, { slowFactor: 1.2 });
        bus.setAmbient(devices[1].id, 25);
        const late = cycle();
        t.equal(byId(late, devices[1].id).celsius, 25);
        return r.map((x) => x.celsius ?? x.fault ?? null);
      },
    },
    {
      name: 'out-of-range values (spike to 180 °C, step to -70 °C) are never readings',
      run: (t) => {
        const { bus, cycle, devices, byId } = setup([at(20), at(20)]);
        bus.injectSpike(devices[0].id, 160, 10_000);
        bus.injectStep(devices[1].id, -90);
        const r = cycle();
        t.equal(r.map((x) => x.fault), ['out-of-range', 'out-of-range']);
        bus.advance(10_000);
        const later = cycle();
        t.equal(byId(later, devices[0].id).celsius, 20);
        t.equal(byId(later, devices[1].id).fault, 'out-of-range');
        return r.map((x) => x.detail ?? null);
      },
    },
    {
      name: 'DS18S20 (extended resolution) and DS1822 read; unknown families are refused with a reason',
      run: (t) => {
        const { scan, cycle, devices, byId } = setup([
          { family: 0x10, thermal: { ambient: 21.3125 } },
          { family: 0x10, thermal: { ambient: -10.1875 } },
          { family: 0x22, thermal: { ambient: -3.75 } },
          { family: 0x01 },
        ]);
        t.equal(scan.sensors.map((s) => s.model).sort(), ['DS1822', 'DS18S20', 'DS18S20']);
        t.equal(scan.refused.length, 1);
        t.ok(/unsupported-family: family 01h/.test(scan.refused[0].reason), scan.refused[0].reason);
        const r = cycle();
        t.equal([byId(r, devices[0].id).celsius, byId(r, devices[1].id).celsius, byId(r, devices[2].id).celsius], [21.3125, -10.1875, -3.75]);
        t.equal(r.length, 3);
        return scan.refused[0].reason;
      },
    },
    {
      name: 'sampler runs the cycle on host Timers (callback)',
      run: (t) => {
        const bus = new SimulatedOneWireBus({ seed: 3 });
        bus.addSensor({ resolution: 11, thermal: { ambient: 19.875, noise: 0 } });
        const driver = new Ds18b20Driver(bus);
        driver.scan();
        // Timers on the bus's simulated clock, run by hand.
        const queue: { at: number; fn: () => void }[] = [];
        const timers: Timers = {
          set: (fn, ms) => queue.push({ at: bus.now() + ms, fn }),
          clear: () => undefined,
        };
        const sampler = new Ds18b20Sampler(driver, timers);
        let got: SensorReading[] | undefined;
        sampler.read((readings) => (got = readings));
        t.throws(() => sampler.read(() => undefined), /in progress/);
        while (queue.length > 0) {
          const next = queue.shift() as { at: number; fn: () => void };
          bus.advance(next.at - bus.now());
          next.fn();
        }
        t.equal(got?.map((r) => r.celsius), [19.875]);
        return got?.length ?? 0;
      },
    },
  ],
};
