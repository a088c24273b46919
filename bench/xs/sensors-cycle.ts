/**
 * Platform-neutral pieces of the sensors benchmark (run in Node and, via sensors-entry, in XS):
 * a world of N simulated DS18B20s on the internal simulated clock, and one read cycle on it.
 */
import type { OneWireBus } from '../../src/platform';
import { Ds18b20Driver, type SensorReading } from '../../src/sensors/ds18b20';
import { conversionTimeMs, type Resolution } from '../../src/sensors/temperature';
import { SimulatedOneWireBus } from '../../simulator/hardware/onewire-bus';

export interface SensorsWorld {
  bus: SimulatedOneWireBus;
  driver: Ds18b20Driver;
}

export function makeWorld(count: number, resolution: Resolution, seed = 2024, wrap?: (bus: SimulatedOneWireBus) => OneWireBus): SensorsWorld {
  const bus = new SimulatedOneWireBus({ seed });
  for (let i = 0; i < count; i++) bus.addSensor({ resolution, thermal: { ambient: 15 + i * 0.5, noise: 0.05, driftPerHour: 0.5 } });
  const driver = new Ds18b20Driver(wrap ? wrap(bus) : bus);
  const scan = driver.scan();
  if (scan.sensors.length !== count) throw new Error(`scan found ${scan.sensors.length} of ${count} sensors`);
  return { bus, driver };
}

/** One full read cycle; throws unless every sensor gave a reading. */
export function readCycle(world: SensorsWorld, onWait?: (ms: number) => void): SensorReading[] {
  const readings = world.driver.readCycle((ms) => {
    onWait?.(ms);
    world.bus.advance(ms);
  });
  for (const r of readings) if (r.celsius === undefined) throw new Error(`sensor ${r.id}: ${r.fault} ${r.detail ?? ''}`);
  return readings;
}

/** The physical limit with external power: 2.08 + tCONV + 11.6·N ms. */
export function physicalLimitMs(count: number, resolution: Resolution): number {
  return 2.08 + conversionTimeMs(resolution) + 11.6 * count;
}

/** Simulated bus time of one read cycle divided by the physical limit. */
export function readTimeRatio(count: number, resolution: Resolution): { busMs: number; limitMs: number; ratio: number } {
  const world = makeWorld(count, resolution);
  world.bus.advance(1000);
  const t0 = world.bus.now();
  readCycle(world);
  const busMs = world.bus.now() - t0;
  const limitMs = physicalLimitMs(count, resolution);
  return { busMs, limitMs, ratio: busMs / limitMs };
}

/** AN187's lower bound for a ROM search of N devices: one pass each, reset + F0h + 64 x 3 slots = 0.96 + 200 x 0.07 ms. */
export function searchLimitMs(count: number): number {
  return count * (0.96 + 200 * 0.07);
}

/** Simulated bus time of a periodic search (every sensor known already) divided by its lower bound. */
export function searchTimeRatio(count: number): { busMs: number; limitMs: number; ratio: number } {
  const world = makeWorld(count, 12);
  const t0 = world.bus.now();
  const scan = world.driver.scan();
  if (scan.sensors.length !== count) throw new Error(`search found ${scan.sensors.length} of ${count} sensors`);
  const busMs = world.bus.now() - t0;
  const limitMs = searchLimitMs(count);
  return { busMs, limitMs, ratio: busMs / limitMs };
}

/** A bus wrapper that records every primitive, so the same traffic can be replayed without the driver. */
export class RecordingBus implements OneWireBus {
  readonly ops: number[] = [];
  constructor(private readonly inner: SimulatedOneWireBus) {}
  reset(): boolean {
    this.ops.push(0, 0);
    return this.inner.reset();
  }
  writeBit(bit: 0 | 1): void {
    this.ops.push(1, bit);
    this.inner.writeBit(bit);
  }
  readBit(): 0 | 1 {
    this.ops.push(2, 0);
    return this.inner.readBit();
  }
  writeByte(value: number): void {
    this.ops.push(3, value);
    this.inner.writeByte(value);
  }
  readByte(): number {
    this.ops.push(4, 0);
    return this.inner.readByte();
  }
  strongPullup(ms: number): void {
    this.ops.push(5, ms);
    this.inner.strongPullup?.(ms);
  }
}

/** Replays recorded traffic (op 6: a wait) on a bus: the cost of the simulated hardware alone. */
export function replay(bus: SimulatedOneWireBus, ops: readonly number[]): void {
  for (let i = 0; i < ops.length; i += 2) {
    const op = ops[i];
    const arg = ops[i + 1];
    if (op === 0) bus.reset();
    else if (op === 1) bus.writeBit(arg as 0 | 1);
    else if (op === 2) bus.readBit();
    else if (op === 3) bus.writeByte(arg);
    else if (op === 4) bus.readByte();
    else if (op === 6) bus.advance(arg);
    else bus.strongPullup?.(arg);
  }
}
