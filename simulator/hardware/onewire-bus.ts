/**
 * A simulated 1-Wire bus implementing the Host's OneWireBus, with any number of simulated
 * devices (./ds18b20-device). Platform-neutral: runs in Node, XS and the browser.
 *
 * Time: by default the bus keeps its own simulated clock, advanced by every operation
 * (reset 0.96 ms, each bit slot 0.07 ms, in integer microseconds so sums are exact) and by
 * advance(ms) for waits: benchmarks then measure bus time exactly. Pass `now` (e.g. the host
 * clock) to run in real time instead: operations then take no simulated time.
 *
 * Faults and anomalies are injected by sensor id at runtime (setFault, injectStep, ...), which
 * is what a dashboard calls.
 */
import type { OneWireBus } from '../../src/platform';
import { makeRom, romFromHex, type RomId } from '../../src/onewire/rom';
import { FAMILY_DS18B20 } from '../../src/sensors/scratchpad';
import type { Resolution } from '../../src/sensors/temperature';
import { SimulatedDevice, type CloneTraits, type PowerRail, type SensorFaults } from './ds18b20-device';
import { Prng } from './prng';
import type { ThermalOptions } from './thermal';

/**
 * What one simulated DS18B20 (its 1-Wire state machine and thermal model) takes of an XS heap it
 * runs in: measured in mcsim at boot (990 slots and 4,152 B with 8 sensors, 2,270 slots and
 * 8,000 B with 24) and on xs-device across read cycles (81 slots each, no growth). Hardware a real
 * device does not carry in its heap: the Moddable lane adds it to the ESP32's, and the firmware on
 * the simulators takes it off what it sizes itself to (hosts/moddable/onewire/bus.ts).
 */
export const SIMULATED_SENSOR_XS_HEAP = Object.freeze({ slots: 80, chunkBytes: 256 });

export const RESET_US = 960;
export const SLOT_US = 70;

/** A real-time strong pull-up may start a little after the conversion it powers. */
const PULLUP_TOLERANCE_MS = 5;

export interface SimulatedBusOptions {
  /** Seeds ROM serials and per-sensor noise. Default 1. */
  seed?: number;
  /** A time source in ms (real-time mode). Absent: the internal simulated clock. */
  now?: () => number;
  /** Whether the master can drive a strong pull-up. Default true. */
  strongPullup?: boolean;
}

export interface AddSensorOptions {
  /** A fixed ROM (bytes or hex, CRC checked). Default: generated from the seed. */
  rom?: RomId | string;
  /** Family code for a generated ROM. Default 28h (DS18B20). */
  family?: number;
  /** Serial bytes (6) for a generated ROM with a given family. */
  serial?: ArrayLike<number>;
  parasite?: boolean;
  resolution?: Resolution;
  alarmHigh?: number;
  alarmLow?: number;
  thermal?: ThermalOptions;
  /** A clone's reserved-byte behaviour (./ds18b20-device CloneTraits); absent: Maxim's. */
  clone?: CloneTraits;
}

export interface BusStats {
  resets: number;
  slots: number;
}

/** Bus time of `stats` in ms: each reset RESET_US, each slot SLOT_US (what a real master spends). */
export function busTimeMs(stats: BusStats): number {
  return (stats.resets * RESET_US + stats.slots * SLOT_US) / 1000;
}

export class SimulatedOneWireBus implements OneWireBus, PowerRail {
  readonly devices: SimulatedDevice[] = [];
  readonly stats: BusStats = { resets: 0, slots: 0 };
  strongPullup?: (durationMs: number) => void;

  private readonly rng: Prng;
  private readonly externalNow: (() => number) | undefined;
  private simUs = 0;
  private pullupFrom = -Infinity;
  private pullupUntil = -Infinity;

  constructor(options: SimulatedBusOptions = {}) {
    this.rng = new Prng(options.seed ?? 1);
    this.externalNow = options.now;
    if (options.strongPullup ?? true) {
      this.strongPullup = (durationMs: number): void => {
        const now = this.now();
        this.pullupFrom = now;
        this.pullupUntil = now + durationMs;
      };
    }
  }

  /** The bus time in ms. */
  now(): number {
    return this.externalNow ? this.externalNow() : this.simUs / 1000;
  }

  /** Lets simulated time pass (the waits between operations). Real-time mode: not allowed. */
  advance(ms: number): void {
    if (this.externalNow) throw new Error('simulated bus runs on an external clock; advance() is for the internal one');
    if (ms > 0) this.simUs += Math.round(ms * 1000);
  }

  addSensor(options: AddSensorOptions = {}): SimulatedDevice {
    let rom: RomId;
    if (typeof options.rom === 'string') rom = romFromHex(options.rom);
    else if (options.rom) rom = options.rom;
    else {
      const serial = options.serial ?? Array.from({ length: 6 }, () => this.rng.nextInt(256));
      rom = makeRom(options.family ?? FAMILY_DS18B20, serial);
    }
    const seed = this.rng.nextUint32();
    const device = new SimulatedDevice(
      {
        rom,
        parasite: options.parasite,
        resolution: options.resolution,
        alarmHigh: options.alarmHigh,
        alarmLow: options.alarmLow,
        thermal: { seed, ...options.thermal },
        seed,
        clone: options.clone,
      },
      this,
    );
    if (this.devices.some((d) => d.id === device.id)) throw new Error(`duplicate ROM ${device.id}`);
    this.devices.push(device);
    return device;
  }

  remove(id: string): boolean {
    const i = this.devices.findIndex((d) => d.id === id);
    if (i < 0) return false;
    this.devices.splice(i, 1);
    return true;
  }

  device(id: string): SimulatedDevice {
    const d = this.devices.find((x) => x.id === id);
    if (!d) throw new Error(`no simulated device ${id}`);
    return d;
  }

  /** Sets (part of) a device's faults; the rest are kept. */
  setFault(id: string, faults: Partial<SensorFaults>): void {
    const d = this.device(id);
    d.faults = { ...d.faults, ...faults };
  }

  clearFaults(id: string): void {
    this.setFault(id, { crcCorruption: 0, disconnected: false, powerOnReset: 'off', busShort: false, slowFactor: 1, zeroScratchpad: false, configLocked: false });
  }

  injectStep(id: string, delta: number): void {
    this.device(id).thermal.injectStep(delta, this.now());
  }

  injectSpike(id: string, delta: number, durationMs: number): void {
    this.device(id).thermal.injectSpike(delta, durationMs, this.now());
  }

  setAmbient(id: string, celsius: number): void {
    this.device(id).thermal.setAmbient(celsius, this.now());
  }

  /** Power-cycles every device: scratchpads reload from EEPROM, temperature reads 85.0 °C. */
  powerCycle(): void {
    const now = this.now();
    for (const d of this.devices) {
      d.settle(now); // what finished before the power went (an EEPROM copy) is kept
      d.powerOn();
    }
  }

  strongPullupCovered(fromMs: number, toMs: number): boolean {
    return this.pullupFrom <= fromMs + PULLUP_TOLERANCE_MS && this.pullupUntil >= toMs;
  }

  // ---- OneWireBus ----

  reset(): boolean {
    const end = this.begin(RESET_US);
    this.stats.resets++;
    if (this.shorted()) return false;
    let presence = false;
    for (const d of this.devices) {
      d.onReset(end);
      if (d.present()) presence = true;
    }
    return presence;
  }

  readBit(): 0 | 1 {
    const end = this.begin(SLOT_US);
    this.stats.slots++;
    if (this.shorted()) return 0;
    let bit: 0 | 1 = 1;
    for (const d of this.devices) if (d.onRead(end) === 0) bit = 0; // wired-AND
    return bit;
  }

  writeBit(bit: 0 | 1): void {
    const end = this.begin(SLOT_US);
    this.stats.slots++;
    if (this.shorted()) return;
    for (const d of this.devices) d.onWrite(bit, end);
  }

  writeByte(value: number): void {
    for (let i = 0; i < 8; i++) this.writeBit(((value >> i) & 1) as 0 | 1);
  }

  readByte(): number {
    let value = 0;
    for (let i = 0; i < 8; i++) value |= this.readBit() << i;
    return value;
  }

  /** Any operation ends a running strong pull-up; then the operation's time passes. Returns its end. */
  private begin(us: number): number {
    const start = this.now();
    if (start < this.pullupUntil) this.pullupUntil = start;
    if (!this.externalNow) this.simUs += us;
    return this.now();
  }

  private shorted(): boolean {
    for (const d of this.devices) if (d.faults.busShort) return true;
    return false;
  }
}
