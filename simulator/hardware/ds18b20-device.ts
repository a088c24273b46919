/**
 * A simulated 1-Wire device at the time-slot level: ROM commands (search, alarm search, match,
 * read, skip) for any family, and the DS18B20 / DS1822 / DS18S20 function commands with
 * scratchpad, EEPROM (TH, TL, config), conversions that finish tCONV after they start,
 * parasite power, and injectable faults. The bus (./onewire-bus) drives it slot by slot.
 */
import { crc8 } from '../../src/onewire/crc8';
import { romBit, romToHex, type RomId } from '../../src/onewire/rom';
import { FAMILY_DS18S20, isSupportedFamily } from '../../src/sensors/scratchpad';
import { configForResolution, conversionTimeMs, encodeDs18s20, encodeTemperature, resolutionFromConfig, type Resolution } from '../../src/sensors/temperature';
import { Prng } from './prng';
import { ThermalModel, type ThermalOptions } from './thermal';

export interface SensorFaults {
  /** Probability (0..1) that a scratchpad read has one bit flipped. */
  crcCorruption: number;
  /** Off the bus: no presence, never answers. */
  disconnected: boolean;
  /** Conversions brown out and reset the device: it reads the 85.0 °C power-on value. */
  powerOnReset: 'off' | 'once' | 'always';
  /** Shorts the data line to ground: resets see no presence, every slot reads 0. */
  busShort: boolean;
  /** Conversion takes tCONV times this. */
  slowFactor: number;
  /** The scratchpad reads as nine 00h (passes the CRC). */
  zeroScratchpad: boolean;
  /**
   * The configuration register ignores writes and reads 7Fh (12 bits) whatever is written, as
   * some clones do (cpetrich/counterfeit_DS18B20: "0x4E accepts 10 bit resolution: rejected").
   * TH and TL still take writes.
   */
  configLocked?: boolean;
}

export const NO_FAULTS: Readonly<SensorFaults> = Object.freeze({
  crcCorruption: 0,
  disconnected: false,
  powerOnReset: 'off',
  busShort: false,
  slowFactor: 1,
  zeroScratchpad: false,
  configLocked: false,
});

/**
 * How a clone's reserved scratchpad bytes 5..7 behave. Maxim's parts power up with FFh, 0Ch,
 * 10h and rewrite byte 6 on every conversion (16 - (raw & 0Fh)); many clones keep fixed values
 * (cpetrich/counterfeit_DS18B20, "Scratchpad byte 6 (0x0C): unexpected value").
 */
export interface CloneTraits {
  /** Bytes 5, 6, 7 at power-on, never changed by a conversion. */
  reserved: readonly [number, number, number];
}

export interface DeviceOptions {
  rom: RomId;
  parasite?: boolean;
  /** EEPROM contents: alarm limits (whole °C) and resolution. Defaults: 75, 70, 12 bits. */
  alarmHigh?: number;
  alarmLow?: number;
  resolution?: Resolution;
  thermal?: ThermalOptions;
  seed?: number;
  /** A clone's reserved-byte behaviour; absent: Maxim's. */
  clone?: CloneTraits;
}

/** What the device needs from the bus: whether a strong pull-up covered an interval. */
export interface PowerRail {
  strongPullupCovered(fromMs: number, toMs: number): boolean;
}

type State = 'idle' | 'rom' | 'search' | 'match' | 'read-rom' | 'function' | 'read-scratchpad' | 'write-scratchpad' | 'convert' | 'copy' | 'recall' | 'read-power' | 'done';

export class SimulatedDevice {
  readonly rom: RomId;
  readonly id: string;
  readonly family: number;
  readonly parasite: boolean;
  readonly thermal: ThermalModel;
  faults: SensorFaults = { ...NO_FAULTS };
  /** EEPROM: TH, TL, config. */
  readonly eeprom = new Uint8Array(3);
  readonly scratchpad = new Uint8Array(9);
  /** Completed conversions, for tests and the dashboard. */
  conversions = 0;
  /** Completed COPY SCRATCHPAD (48h) writes: EEPROM wear. */
  eepromWrites = 0;
  /** Power-on resets (power cycles, brown-outs). */
  powerOns = 0;
  readonly clone: CloneTraits | undefined;

  private state: State = 'idle';
  private bits = 0;
  private acc = 0;
  private searchPhase = 0;
  private readonly tx = new Uint8Array(9);
  private readonly rx = new Uint8Array(3);
  private rxCount = 0;
  private conversion: { start: number; end: number } | undefined;
  private copy: { start: number; end: number } | undefined;
  private readonly rng: Prng;

  constructor(
    options: DeviceOptions,
    private readonly rail: PowerRail,
  ) {
    this.rom = options.rom.slice();
    this.id = romToHex(this.rom);
    this.family = this.rom[0];
    this.parasite = options.parasite ?? false;
    this.thermal = new ThermalModel({ seed: options.seed, ...options.thermal });
    this.rng = new Prng((options.seed ?? 7) ^ 0x5bd1e995);
    this.eeprom[0] = (options.alarmHigh ?? 75) & 0xff;
    this.eeprom[1] = (options.alarmLow ?? 70) & 0xff;
    this.eeprom[2] = this.family === FAMILY_DS18S20 ? 0xff : configForResolution(options.resolution ?? 12);
    this.clone = options.clone;
    this.powerOn();
    this.powerOns = 0;
  }

  get thermometer(): boolean {
    return isSupportedFamily(this.family);
  }

  get resolution(): Resolution {
    return this.family === FAMILY_DS18S20 ? 9 : resolutionFromConfig(this.scratchpad[4]);
  }

  get converting(): boolean {
    return this.conversion !== undefined;
  }

  /** Power-on reset: EEPROM recalled, temperature register 85.0 °C, reserved bytes at defaults. */
  powerOn(): void {
    const sp = this.scratchpad;
    if (this.family === FAMILY_DS18S20) {
      sp.set([0xaa, 0x00, this.eeprom[0], this.eeprom[1], 0xff, 0xff, 0x0c, 0x10]);
    } else {
      sp.set([0x50, 0x05, this.eeprom[0], this.eeprom[1], this.eeprom[2], 0xff, 0x0c, 0x10]);
      if (this.clone) sp.set(this.clone.reserved, 5);
    }
    sp[8] = crc8(sp, 0, 8);
    this.powerOns++;
    this.conversion = undefined;
    this.copy = undefined;
    this.state = 'idle';
  }

  /** Presence pulse on reset. */
  present(): boolean {
    return !this.faults.disconnected;
  }

  onReset(now: number): void {
    this.settle(now);
    this.state = this.faults.disconnected ? 'idle' : 'rom';
    this.bits = 0;
    this.acc = 0;
  }

  /** The bit this device drives in a read slot (1 = released). */
  onRead(now: number): 0 | 1 {
    switch (this.state) {
      case 'search': {
        const bit = romBit(this.rom, this.bits);
        if (this.searchPhase === 0) {
          this.searchPhase = 1;
          return bit;
        }
        if (this.searchPhase === 1) {
          this.searchPhase = 2;
          return (bit ^ 1) as 0 | 1;
        }
        return 1;
      }
      case 'read-rom': {
        if (this.bits >= 64) return 1;
        return romBit(this.rom, this.bits++);
      }
      case 'read-scratchpad': {
        if (this.bits >= 72) return 1;
        const i = this.bits++;
        return ((this.tx[i >> 3] >> (i & 7)) & 1) as 0 | 1;
      }
      case 'convert':
      case 'copy':
        this.settle(now);
        if (this.parasite) return 1;
        return (this.state === 'convert' ? this.conversion : this.copy) ? 0 : 1;
      case 'read-power':
        return this.parasite ? 0 : 1;
      default:
        return 1;
    }
  }

  onWrite(bit: 0 | 1, now: number): void {
    switch (this.state) {
      case 'rom':
        if (this.collect(bit)) this.romCommand(this.acc, now);
        return;
      case 'search':
        if (this.searchPhase !== 2) return;
        if (bit !== romBit(this.rom, this.bits)) {
          this.state = 'idle';
          return;
        }
        this.searchPhase = 0;
        if (++this.bits === 64) this.enterFunction();
        return;
      case 'match':
        if (bit !== romBit(this.rom, this.bits)) {
          this.state = 'idle';
          return;
        }
        if (++this.bits === 64) this.enterFunction();
        return;
      case 'function':
        if (this.collect(bit)) this.functionCommand(this.acc, now);
        return;
      case 'write-scratchpad':
        if (this.collect(bit)) {
          this.rx[this.rxCount++] = this.acc;
          this.bits = 0;
          this.acc = 0;
          const needed = this.family === FAMILY_DS18S20 ? 2 : 3;
          if (this.rxCount === needed) {
            this.settle(now);
            this.scratchpad[2] = this.rx[0];
            this.scratchpad[3] = this.rx[1];
            if (needed === 3) this.scratchpad[4] = this.faults.configLocked === true ? 0x7f : (this.rx[2] & 0x60) | 0x1f;
            this.scratchpad[8] = crc8(this.scratchpad, 0, 8);
            this.state = 'done';
          }
        }
        return;
      default:
        return;
    }
  }

  /** Applies what finished by `now`: conversions and EEPROM copies (parasite: if powered). */
  settle(now: number): void {
    const c = this.conversion;
    if (c && now >= c.end) {
      this.conversion = undefined;
      if (this.parasite && !this.rail.strongPullupCovered(c.start, c.end)) {
        this.powerOn(); // browned out: the device resets
        return;
      }
      this.storeTemperature(this.thermal.sample(c.end));
      this.conversions++;
    }
    const k = this.copy;
    if (k && now >= k.end) {
      this.copy = undefined;
      if (this.parasite && !this.rail.strongPullupCovered(k.start, k.end)) {
        this.powerOn();
        return;
      }
      this.eeprom[0] = this.scratchpad[2];
      this.eeprom[1] = this.scratchpad[3];
      this.eeprom[2] = this.family === FAMILY_DS18S20 ? 0xff : this.scratchpad[4];
      this.eepromWrites++;
    }
  }

  /** DS18B20 alarm flag: integer part of the last temperature <= TL or >= TH (signed). */
  alarm(): boolean {
    const sp = this.scratchpad;
    let raw = sp[0] | (sp[1] << 8);
    if (raw & 0x8000) raw -= 0x10000;
    const whole = this.family === FAMILY_DS18S20 ? raw >> 1 : raw >> 4;
    const th = sp[2] & 0x80 ? sp[2] - 256 : sp[2];
    const tl = sp[3] & 0x80 ? sp[3] - 256 : sp[3];
    return whole >= th || whole <= tl;
  }

  /** Writes a converted temperature into the register as the silicon would. */
  storeTemperature(celsius: number): void {
    const sp = this.scratchpad;
    if (this.family === FAMILY_DS18S20) {
      const e = encodeDs18s20(celsius);
      sp[0] = e.raw & 0xff;
      sp[1] = (e.raw >> 8) & 0xff;
      sp[6] = e.countRemain;
      sp[7] = e.countPerC;
    } else {
      const raw = encodeTemperature(celsius, this.resolution);
      sp[0] = raw & 0xff;
      sp[1] = (raw >> 8) & 0xff;
      if (!this.clone) sp[6] = 0x10 - (raw & 0x0f); // genuine parts rewrite this reserved byte on every conversion
    }
    sp[8] = crc8(sp, 0, 8);
  }

  private collect(bit: 0 | 1): boolean {
    this.acc |= bit << this.bits;
    if (++this.bits < 8) return false;
    this.bits = 0;
    return true;
  }

  private enterFunction(): void {
    this.state = this.thermometer ? 'function' : 'done';
    this.bits = 0;
    this.acc = 0;
  }

  private romCommand(command: number, now: number): void {
    this.bits = 0;
    this.searchPhase = 0;
    switch (command) {
      case 0xf0:
        this.state = 'search';
        return;
      case 0xec:
        this.settle(now);
        this.state = this.thermometer && this.alarm() ? 'search' : 'idle';
        return;
      case 0x55:
        this.state = 'match';
        return;
      case 0x33:
        this.state = 'read-rom';
        return;
      case 0xcc:
        this.enterFunction();
        return;
      default:
        this.state = 'idle';
    }
  }

  private functionCommand(command: number, now: number): void {
    this.settle(now);
    this.bits = 0;
    this.acc = 0;
    switch (command) {
      case 0x44:
        this.startConversion(now);
        this.state = 'convert';
        return;
      case 0xbe:
        this.prepareScratchpadRead();
        this.state = 'read-scratchpad';
        return;
      case 0x4e:
        this.rxCount = 0;
        this.state = 'write-scratchpad';
        return;
      case 0x48:
        this.copy = { start: now, end: now + 10 };
        this.state = 'copy';
        return;
      case 0xb8:
        this.scratchpad[2] = this.eeprom[0];
        this.scratchpad[3] = this.eeprom[1];
        if (this.family !== FAMILY_DS18S20) this.scratchpad[4] = this.eeprom[2];
        this.scratchpad[8] = crc8(this.scratchpad, 0, 8);
        this.state = 'recall';
        return;
      case 0xb4:
        this.state = 'read-power';
        return;
      default:
        this.state = 'idle';
    }
  }

  private startConversion(now: number): void {
    const f = this.faults;
    if (f.powerOnReset !== 'off') {
      if (f.powerOnReset === 'once') f.powerOnReset = 'off';
      this.powerOn();
      this.state = 'convert';
      return;
    }
    const tconv = this.family === FAMILY_DS18S20 ? 750 : conversionTimeMs(this.resolution);
    // A convert command while converting restarts it (and keeps a slow device busy).
    this.conversion = { start: now, end: now + tconv * f.slowFactor };
  }

  private prepareScratchpadRead(): void {
    const tx = this.tx;
    if (this.faults.zeroScratchpad) {
      tx.fill(0);
      return;
    }
    tx.set(this.scratchpad);
    if (this.faults.crcCorruption > 0 && this.rng.next() < this.faults.crcCorruption) {
      const bit = this.rng.nextInt(72);
      tx[bit >> 3] ^= 1 << (bit & 7);
    }
  }
}
