/** BusSensorSource over the simulated 1-Wire bus, in simulated time on the fake host. */
import { describe, expect, it } from 'vitest';
import { BusSensorSource } from '../../src/device/adapters/sensors';
import type { SensorReading } from '../../src/device/ports';
import { SimulatedOneWireBus } from '../../simulator/hardware/onewire-bus';
import { FakeHost } from './fake-host';

function setup(): { host: FakeHost; bus: SimulatedOneWireBus; source: BusSensorSource; ids: string[] } {
  const host = new FakeHost();
  const bus = new SimulatedOneWireBus({ seed: 7, now: () => host.clock.now() });
  const ids = [bus.addSensor({ thermal: { ambient: 21 } }).id, bus.addSensor({ thermal: { ambient: 25.5 } }).id];
  const source = new BusSensorSource(bus, host.timers, host.clock, host.log);
  source.scan();
  return { host, bus, source, ids };
}

function readOnce(host: FakeHost, source: BusSensorSource): SensorReading[] {
  let out: SensorReading[] | undefined;
  source.read((r) => (out = r));
  host.advance(2000);
  if (!out) throw new Error('no readings after 2 s');
  return out;
}

describe('BusSensorSource', () => {
  it('finds the sensors, names them and reads them after the conversion time', () => {
    const { host, source, ids } = setup();
    let out: SensorReading[] | undefined;
    source.read((r) => (out = r));
    host.advance(700);
    expect(out).toBeUndefined(); // 12-bit conversion takes 750 ms
    host.advance(100);
    expect(out?.map((r) => [r.id, r.name, r.status, r.value])).toEqual([
      [ids[0], 'T1', 'online', 21],
      [ids[1], 'T2', 'online', 25.5],
    ]);
  });

  it('reports a disconnected sensor as missing and CRC errors as faulty, and recovers', () => {
    const { host, bus, source, ids } = setup();
    bus.setFault(ids[0], { disconnected: true });
    let r = readOnce(host, source);
    expect(r[0]).toMatchObject({ status: 'missing', value: undefined });
    expect(r[1].status).toBe('online');
    bus.setFault(ids[0], { disconnected: false, crcCorruption: 1 });
    r = readOnce(host, source);
    expect(r[0].status).toBe('faulty');
    expect(r[0].error).toMatch(/crc/i);
    bus.clearFaults(ids[0]);
    r = readOnce(host, source);
    expect(r[0]).toMatchObject({ status: 'online', value: 21 });
  });

  it('applies a lower resolution: the conversion gets shorter', () => {
    const { host, source } = setup();
    source.setResolution(9);
    let out: SensorReading[] | undefined;
    source.read((r) => (out = r));
    host.advance(90);
    expect(out).toBeUndefined();
    host.advance(20); // the 10 ms EEPROM copy of the new resolution, then 93.75 ms at 9 bits
    expect(out?.map((r) => r.resolution)).toEqual([9, 9]);
    expect(out?.every((r) => r.status === 'online')).toBe(true);
  });
});

describe('BusSensorSource sensor settings', () => {
  it('applies a name and offset through the registry, restores the discovery name, and configures a sensor found later', () => {
    const { host, bus, source, ids } = setup();
    readOnce(host, source);
    const now = source.configureSensor(ids[0].toLowerCase(), { name: 'Kitchen', offset: -0.25 });
    // Applied at once to the current value, not only to the next reading.
    expect(now).toMatchObject({ id: ids[0], name: 'Kitchen', value: 20.75, status: 'online' });
    expect(source.registry.get(ids[0])?.offset).toBe(-0.25);
    let r = readOnce(host, source);
    expect(r[0]).toMatchObject({ name: 'Kitchen', value: 20.75 });
    expect(source.configureSensor(ids[0], { offset: 1 })).toMatchObject({ name: 'T1', value: 22 });
    expect(source.configureSensor(ids[0], undefined)).toMatchObject({ name: 'T1', value: 21 });
    // Configured before it is on the bus: nothing appears yet, the setting waits for the scan.
    const later = bus.addSensor({ thermal: { ambient: 18 } }).id;
    expect(source.configureSensor(later, { name: 'Cellar', offset: 0.5 })).toBeUndefined();
    expect(source.readings()).toHaveLength(2);
    source.scan();
    r = readOnce(host, source);
    expect(r[2]).toMatchObject({ id: later, name: 'Cellar', value: 18.5, status: 'online' });
  });
});
