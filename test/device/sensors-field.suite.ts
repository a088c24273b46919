/**
 * Shared (Node + XS): the device on the simulated 1-Wire bus against what happens in the field
 * (issue 12): a sensor plugged in after boot, the bus power-cycling, a sensor that ignores
 * resolution writes, a parasite-powered sensor on a bus without strong pull-up. The application,
 * the BusSensorSource adapter, the DS18B20 driver and the simulated devices all run, in simulated
 * time; every bus operation is charged to the clock (TimedBus), so bus time can make rounds late.
 */
import { windowAnalytics } from '../../src/device/adapters/analytics';
import { BusSensorSource } from '../../src/device/adapters/sensors';
import { startDevice, type Device } from '../../src/device/app';
import type { SensorReading, SensorSource } from '../../src/device/ports';
import { SEARCH_MS_PER_DEVICE } from '../../src/device/sampling';
import type { SensorSetting } from '../../src/device/sensor-settings';
import type { OneWireBus } from '../../src/platform';
import { busTimeMs, RESET_US, SimulatedOneWireBus, SLOT_US, type BusStats } from '../../simulator/hardware/onewire-bus';
import type { Json, Suite } from '../harness';
import { FakeHost } from './fake-host';
import { FakeHub } from './fakes';

/** The simulated bus with each operation's duration charged to the host clock, as a real master spends it. */
class TimedBus implements OneWireBus {
  strongPullup?: (durationMs: number) => void;
  constructor(private readonly bus: SimulatedOneWireBus, private readonly host: FakeHost) {
    if (bus.strongPullup) this.strongPullup = (ms) => bus.strongPullup?.(ms);
  }
  reset(): boolean {
    this.host.clock.ms += RESET_US / 1000;
    return this.bus.reset();
  }
  readBit(): 0 | 1 {
    this.host.clock.ms += SLOT_US / 1000;
    return this.bus.readBit();
  }
  writeBit(bit: 0 | 1): void {
    this.host.clock.ms += SLOT_US / 1000;
    this.bus.writeBit(bit);
  }
  readByte(): number {
    let v = 0;
    for (let i = 0; i < 8; i++) v |= this.readBit() << i;
    return v;
  }
  writeByte(value: number): void {
    for (let i = 0; i < 8; i++) this.writeBit(((value >> i) & 1) as 0 | 1);
  }
}

/** Records when each round starts and what each bus search costs. */
class Recorder implements SensorSource {
  readStarts: number[] = [];
  searches: { at: number; ms: number; resets: number; slots: number }[] = [];
  constructor(private readonly inner: BusSensorSource, private readonly bus: SimulatedOneWireBus, private readonly host: FakeHost) {}
  scan(): void {
    const before: BusStats = { ...this.bus.stats };
    const at = this.host.clock.now();
    this.inner.scan();
    const d = { resets: this.bus.stats.resets - before.resets, slots: this.bus.stats.slots - before.slots };
    this.searches.push({ at, ms: busTimeMs(d), ...d });
  }
  setResolution(bits: number): void {
    this.inner.setResolution(bits);
  }
  read(onReadings: (readings: SensorReading[]) => void): void {
    this.readStarts.push(this.host.clock.now());
    this.inner.read(onReadings);
  }
  configureSensor(id: string, setting: SensorSetting | undefined): SensorReading | undefined {
    return this.inner.configureSensor(id, setting);
  }
}

interface Rig {
  host: FakeHost;
  bus: SimulatedOneWireBus;
  hub: FakeHub;
  source: Recorder;
  device: Device;
}

function rig(ambients: number[], config: Record<string, number>, busOptions: { strongPullup?: boolean } = {}, parasite: boolean[] = []): Rig {
  const host = new FakeHost();
  const bus = new SimulatedOneWireBus({ seed: 11, now: () => host.clock.now(), ...busOptions });
  ambients.forEach((ambient, i) => bus.addSensor({ parasite: parasite[i] === true, thermal: { ambient, noise: 0 } }));
  const inner = new BusSensorSource(new TimedBus(bus, host), host.timers, host.clock, host.log);
  const source = new Recorder(inner, bus, host);
  const hub = new FakeHub();
  const device = startDevice(host, { sensors: source, hub, analytics: windowAnalytics() }, { deviceId: 'field-1', config });
  hub.connect();
  return { host, bus, hub, source, device };
}

type ReportedSensors = Record<string, { status: string; resolution: number | null } | null>;

function reported(hub: FakeHub): { sensors: ReportedSensors; refused: Record<string, string | null>; lastError: { source: string; message: string } | null } {
  // Reported patches merge on the hub: fold them as the hub does (one level deep is enough here).
  const sensors: ReportedSensors = {};
  const refused: Record<string, string | null> = {};
  let lastError: { source: string; message: string } | null = null;
  for (const p of hub.reported) {
    Object.assign(sensors, p.sensors as ReportedSensors);
    Object.assign(refused, p.refused as Record<string, string | null>);
    lastError = p.lastError as typeof lastError;
  }
  return { sensors, refused, lastError };
}

function lastTelemetry(hub: FakeHub): { id: string; value: number | null; status: string }[] {
  const bodies = hub.bodies('telemetry');
  return (bodies[bodies.length - 1]?.sensors ?? []) as { id: string; value: number | null; status: string }[];
}

export const suite: Suite = {
  name: 'device/sensors-field',
  cases: [
    {
      name: 'hot-plug: a sensor plugged in 60 s after boot is in telemetry and the twin within 60 s; rounds stay on time; the search costs 15 ms per device',
      run(t) {
        const { host, bus, hub, source, device } = rig([20, 21], { samplingIntervalMs: 1000, telemetryIntervalMs: 5000 });
        // Plugged in just after a search (the boot one, then every 30 s): the worst case but one.
        host.advance(61000);
        const plugged = bus.addSensor({ thermal: { ambient: 23.5, noise: 0 } }).id;
        let seenAt: number | undefined;
        for (let s = 0; s < 60 && seenAt === undefined; s++) {
          host.advance(1000);
          const inTelemetry = lastTelemetry(hub).some((x) => x.id === plugged && x.value === 23.5);
          if (inTelemetry && reported(hub).sensors[plugged]?.status === 'online') seenAt = host.clock.now() - 61000;
        }
        t.ok(seenAt !== undefined && seenAt <= 60000, `found ${String(seenAt)} ms after it was plugged in`);
        // It vanishes again: missing at once in readings, in the twin after the next report.
        bus.remove(plugged);
        host.advance(5000);
        t.equal(reported(hub).sensors[plugged]?.status, 'missing');
        t.equal(lastTelemetry(hub).find((x) => x.id === plugged)?.status, 'missing');
        // Every round started on its 1 s grid, bus time of searches and reads included.
        let late = 0;
        // The grid starts at the first round (after the boot search and settings took their bus time).
        const start = source.readStarts[0];
        source.readStarts.forEach((at, i) => (late = Math.max(late, at - (start + i * 1000))));
        t.equal(late, 0, 'no round started late');
        t.equal(source.readStarts.length, Math.floor((host.clock.now() - start) / 1000) + 1);
        // Periodic searches: every 30 s, each right after a round (bus idle), each finished well before the next round.
        const periodic = source.searches.slice(1);
        t.ok(periodic.length >= 3, `${periodic.length} periodic searches`);
        const steady = periodic.filter((x) => x.at < 60000);
        for (const x of steady) {
          t.equal([x.resets, x.slots], [2, 2 * 200], 'two devices: two passes of reset + F0h + 64 x 3 slots');
          t.ok(x.ms <= 2 * SEARCH_MS_PER_DEVICE, `${x.ms} ms`);
          t.ok(((x.at - start) % 1000) + x.ms < 1000, 'done before the next round');
        }
        device.stop();
        return { seenAfterMs: seenAt ?? null, searchMs: steady.map((x) => x.ms), searches: periodic.length };
      },
    },
    {
      name: 'power cycle with resolution 9: stays 9 bits, the EEPROM is written once; a sensor back at 12 bits gets 9 again',
      run(t) {
        const { host, bus, hub, device } = rig([21.25, 21.25, 21.25], { resolution: 9, samplingIntervalMs: 1000, telemetryIntervalMs: 1000 });
        host.advance(5000);
        t.equal(lastTelemetry(hub).map((x) => x.value), [21, 21, 21], '9 bits: 21.25 reads 21.0');
        t.equal(bus.devices.map((d) => d.eepromWrites), [1, 1, 1]);
        const telemetryBefore = hub.bodies('telemetry').length;
        bus.powerCycle();
        host.advance(5000);
        const after = hub.bodies('telemetry').slice(telemetryBefore).map((b) => (b.sensors as { value: number | null }[]).map((x) => x.value));
        t.equal(after.filter((v) => v.join() !== '21,21,21'), [], 'never 85, never 21.25 after the power cycle');
        t.equal(bus.devices.map((d) => d.eepromWrites), [1, 1, 1], 'the EEPROM held 9 bits: not written again');
        t.equal(bus.devices.map((d) => d.powerOns), [1, 1, 1]);
        // One sensor's EEPROM says 12 bits (replaced by one set up elsewhere); the supply drops again.
        bus.devices[0].eeprom[2] = 0x7f;
        bus.powerCycle();
        host.advance(5000);
        t.equal(lastTelemetry(hub).map((x) => x.value), [21, 21, 21], 'back at 9 bits');
        t.equal(bus.devices.map((d) => d.eepromWrites), [2, 1, 1], 'only the sensor whose EEPROM differed is written');
        t.equal(bus.devices[0].resolution, 9);
        const r = reported(hub);
        t.equal(Object.keys(r.sensors).map((id) => r.sensors[id]?.resolution), [9, 9, 9]);
        t.ok(host.logs.some((l) => /reads 12 bits, configured 9/.test(l.message)), 'the reset is noticed and logged');
        device.stop();
        return after as unknown as Json;
      },
    },
    {
      name: 'a sensor whose configuration register ignores writes: its real resolution is reported and the setting refused with the reason, warned once',
      run(t) {
        const { host, bus, hub, device } = rig([20, 21, 22], { samplingIntervalMs: 1000 });
        const locked = bus.devices[1].id;
        bus.setFault(locked, { configLocked: true });
        hub.handlers?.onDesired({ $version: 2, resolution: 9 });
        host.advance(3000);
        let r = reported(hub);
        t.equal(device.config.resolution, 9);
        t.equal(r.sensors[bus.devices[0].id]?.resolution, 9);
        t.equal(r.sensors[locked]?.resolution, 12, 'what the sensor reads back');
        t.ok(/^9 bits: the configuration register ignores writes: wrote 1Fh, reads 7Fh \(12 bits\)$/.test(r.refused[`resolution/${locked}`] ?? ''), String(r.refused[`resolution/${locked}`]));
        t.equal(r.lastError?.source, 'sensors');
        host.advance(10000);
        hub.disconnect();
        hub.connect();
        host.advance(2000);
        const warnings = host.logs.filter((l) => l.level === 'warn' && /ignores writes/.test(l.message));
        t.equal(warnings.length, 1, 'warned once');
        t.equal(bus.devices.map((d) => d.eepromWrites), [1, 0, 1], 'the refusing sensor is not written');
        // The setting changes to what the sensor has: the refusal is cleared.
        hub.handlers?.onDesired({ $version: 3, resolution: 12 });
        host.advance(3000);
        r = reported(hub);
        t.equal(r.refused[`resolution/${locked}`], null, 'cleared');
        t.equal(Object.keys(r.sensors).map((id) => r.sensors[id]?.resolution), [12, 12, 12]);
        // Refused again (10 bits); then the sensor is unplugged: a sensor that is gone refuses nothing.
        hub.handlers?.onDesired({ $version: 4, resolution: 10 });
        host.advance(3000);
        t.ok(/wrote 3Fh, reads 7Fh/.test(reported(hub).refused[`resolution/${locked}`] ?? ''));
        bus.remove(locked);
        host.advance(3000);
        r = reported(hub);
        t.equal(r.sensors[locked]?.status, 'missing');
        t.equal(r.refused[`resolution/${locked}`], null, 'cleared when the sensor is gone');
        device.stop();
        return r.refused as Json;
      },
    },
    {
      name: 'a parasite-powered sensor on a bus without strong pull-up is reported faulty as parasite-unsupported, the others read',
      run(t) {
        const { host, hub, bus, device } = rig([20, 30], { samplingIntervalMs: 1000 }, { strongPullup: false }, [false, true]);
        host.advance(3000);
        const stats = device.stats().sensors as { id: string; status: string; value: number | null }[];
        t.equal(stats.map((s) => [s.status, s.value]), [['online', 20], ['faulty', null]]);
        t.equal(reported(hub).sensors[bus.devices[1].id]?.status, 'faulty');
        t.ok(host.logs.every((l) => !/power-on-85/.test(l.message)));
        device.stop();
        return stats.map((s) => s.status);
      },
    },
  ],
};
