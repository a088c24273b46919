/**
 * A sensor fault storm: the device application (src/device/app) over the real DS18B20 driver
 * (BusSensorSource) on the simulated 1-Wire bus (simulator/hardware), in simulated time. Every
 * cycle each sensor gets a new true temperature and, at random (seeded), one fault class:
 * CRC corruption (sometimes certain), disconnection, power-on reset (once or on every
 * conversion), zeroed scratchpad, slow conversion (recoverable or not), or a shorted bus.
 *
 * Checked on every sample and on every message the device publishes:
 *   an 'online' reading equals this cycle's true temperature (so never the 85.0 power-on
 *   value, never a CRC-failed or zeroed value, never last cycle's stale value), lies in the
 *   DS18B20 range, and a sensor that cannot have been read (disconnected, shorted bus, CRC
 *   always wrong, reset on every conversion, zeroed, too slow) is never 'online'.
 *   Published telemetry carries a value only for an online sensor, and exactly the value of
 *   the latest checked sample.
 */
import { windowAnalytics } from '../../src/device/adapters/analytics';
import { BusSensorSource } from '../../src/device/adapters/sensors';
import { startDevice, type SampleEvent } from '../../src/device/app';
import type { MessageProperties, SensorSource } from '../../src/device/ports';
import type { SensorFaults } from '../../simulator/hardware/ds18b20-device';
import { SimulatedOneWireBus } from '../../simulator/hardware/onewire-bus';
import { FakeHost } from '../device/fake-host';
import { FakeHub } from '../device/fakes';
import { mulberry32 } from './rng';

export interface StormOptions {
  cycles: number;
  sensors?: number;
  seed?: number;
  /** Negative control: from this sample on, the source reports non-online sensors as online with their last good value (stale). */
  tamperFromSample?: number;
}

export interface StormResult {
  cycles: number;
  samples: number;
  readings: number;
  online: number;
  /** Readings the faults made impossible, by class, and how many of those were (correctly) not online. */
  faultsInjected: Record<string, number>;
  invalidSamples: number;
  invalidPublished: number;
  publishedMessages: number;
  publishedValues: number;
  firstInvalid: string;
}

type FaultClass = 'none' | 'crc-some' | 'crc-always' | 'disconnected' | 'power-on-once' | 'power-on-always' | 'zero' | 'slow-ok' | 'slow-fail' | 'short';
const CLASSES: FaultClass[] = ['crc-some', 'crc-always', 'disconnected', 'power-on-once', 'power-on-always', 'zero', 'slow-ok', 'slow-fail'];
/** Faults after which no valid reading can exist this cycle. */
const FATAL = new Set<FaultClass>(['crc-always', 'disconnected', 'power-on-always', 'zero', 'slow-fail', 'short']);

function faultsFor(c: FaultClass): SensorFaults {
  const f: SensorFaults = { crcCorruption: 0, disconnected: false, powerOnReset: 'off', busShort: false, slowFactor: 1, zeroScratchpad: false };
  if (c === 'crc-some') f.crcCorruption = 0.4;
  else if (c === 'crc-always') f.crcCorruption = 1;
  else if (c === 'disconnected') f.disconnected = true;
  else if (c === 'power-on-once') f.powerOnReset = 'once';
  else if (c === 'power-on-always') f.powerOnReset = 'always';
  else if (c === 'zero') f.zeroScratchpad = true;
  else if (c === 'slow-ok') f.slowFactor = 1.2;
  else if (c === 'slow-fail') f.slowFactor = 4;
  else if (c === 'short') f.busShort = true;
  return f;
}

export function runStorm(options: StormOptions): StormResult {
  const rng = mulberry32(options.seed ?? 1);
  const host = new FakeHost();
  const bus = new SimulatedOneWireBus({ seed: options.seed ?? 1, now: () => host.clock.now() });
  const ids: string[] = [];
  for (let i = 0; i < (options.sensors ?? 3); i++) ids.push(bus.addSensor({ thermal: { ambient: 20 + i } }).id);
  const truth = new Map<string, number>();
  const fault = new Map<string, FaultClass>();
  for (const id of ids) {
    truth.set(id, 20 + ids.indexOf(id));
    fault.set(id, 'none');
  }
  const injected: Record<string, number> = {};
  let invalidSamples = 0;
  let invalidPublished = 0;
  let firstInvalid = '';
  let samples = 0;
  let readings = 0;
  let online = 0;
  let publishedMessages = 0;
  let publishedValues = 0;
  /** The latest checked sample: id -> value when online. */
  let latest = new Map<string, number | undefined>();

  const invalid = (where: 'sample' | 'published', what: string): void => {
    if (where === 'sample') invalidSamples++;
    else invalidPublished++;
    if (!firstInvalid) firstInvalid = `${where} at ${host.clock.now()} ms: ${what}`;
  };

  // A new world for the next cycle: true temperatures on the 1/16 °C grid, avoiding 85 and 0
  // (the power-on and zeroed-scratchpad values), and a fault class per sensor.
  function nextCycle(): void {
    const shortBus = rng() < 0.03;
    for (const id of ids) {
      let t = Math.round((-50 + rng() * 170) * 16) / 16;
      if (t === 85 || t === 0) t += 0.5;
      truth.set(id, t);
      bus.setAmbient(id, t);
      const c: FaultClass = shortBus ? 'short' : rng() < 0.5 ? 'none' : CLASSES[Math.floor(rng() * CLASSES.length)];
      fault.set(id, c);
      injected[c] = (injected[c] ?? 0) + 1;
      bus.clearFaults(id);
      if (c !== 'none') bus.setFault(id, faultsFor(c));
    }
  }

  function onSample(sample: SampleEvent): void {
    samples++;
    const seen = new Map<string, number | undefined>();
    for (const { reading } of sample.sensors) {
      readings++;
      const c = fault.get(reading.id) ?? 'none';
      const t = truth.get(reading.id);
      if (reading.status === 'online') {
        online++;
        const v = reading.value;
        const before = invalidSamples;
        if (v === undefined || !Number.isFinite(v)) invalid('sample', `${reading.id} online without a value`);
        else if (v < -55 || v > 125) invalid('sample', `${reading.id} out of range: ${v}`);
        else if (v !== t) invalid('sample', `${reading.id} online ${v} but the truth is ${t} (fault ${c})`);
        if (FATAL.has(c)) invalid('sample', `${reading.id} online under fault ${c}`);
        // Only a validated value may be published; an invalid one leaves nothing to match.
        seen.set(reading.id, invalidSamples === before ? v : undefined);
      } else {
        if (reading.value !== undefined) invalid('sample', `${reading.id} ${reading.status} with a value ${reading.value}`);
        seen.set(reading.id, undefined);
      }
    }
    latest = seen;
    nextCycle();
  }

  class CheckingHub extends FakeHub {
    override sendTelemetry(body: string, properties: MessageProperties, onDone: (error?: Error) => void): void {
      const msg = JSON.parse(body) as { type: string; sensors?: { id: string; value?: number | null; status?: string; min?: number | null; max?: number | null }[] };
      publishedMessages++;
      if (msg.type === 'telemetry') {
        for (const s of msg.sensors ?? []) {
          if (s.value === null || s.value === undefined) continue;
          publishedValues++;
          if (s.status !== 'online') invalid('published', `${s.id} value ${s.value} with status ${s.status}`);
          const last = latest.get(s.id);
          // Telemetry rounds to 3 decimals (src/device/telemetry round3).
          if (last === undefined || Math.round(last * 1000) / 1000 !== s.value) invalid('published', `${s.id} value ${s.value} is not the latest sample (${latest.get(s.id)})`);
          if (s.value < -55 || s.value > 125 || s.value === 85) invalid('published', `${s.id} value ${s.value}`);
        }
      }
      for (const s of msg.sensors ?? []) {
        for (const x of [s.min, s.max]) if (typeof x === 'number' && (x < -55 || x > 125)) invalid('published', `${s.id} statistic ${x} out of range`);
      }
      super.sendTelemetry(body, properties, onDone);
    }
  }

  const hub = new CheckingHub();
  const source = new BusSensorSource(bus, host.timers, host.clock, host.log);
  const lastGood = new Map<string, number>();
  const sensors: SensorSource = {
    scan: () => source.scan(),
    setResolution: (bits) => source.setResolution(bits),
    read: (done) =>
      source.read((list) => {
        const tamper = options.tamperFromSample !== undefined && samples >= options.tamperFromSample;
        done(
          list.map((r) => {
            if (r.status === 'online' && r.value !== undefined) lastGood.set(r.id, r.value);
            else if (tamper && lastGood.has(r.id)) return { ...r, status: 'online' as const, value: lastGood.get(r.id) };
            return r;
          }),
        );
      }),
  };
  const device = startDevice(
    host,
    { sensors, hub, analytics: windowAnalytics() },
    { deviceId: 'storm-1', onSample, rescanIntervalMs: 5000, config: { samplingIntervalMs: 1000, telemetryIntervalMs: 1000, aggregatePeriodMs: 60_000 } },
  );
  hub.connect();
  // A faulty cycle can take longer than the sampling interval (retries, slow conversions), so run
  // until `cycles` samples were taken, bounded at 4 simulated seconds per cycle.
  for (let guard = 0; samples < options.cycles && guard < options.cycles * 4; guard++) host.advance(1000);
  device.stop();
  return { cycles: options.cycles, samples, readings, online, faultsInjected: injected, invalidSamples, invalidPublished, publishedMessages, publishedValues, firstInvalid };
}
