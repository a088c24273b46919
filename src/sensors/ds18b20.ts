/**
 * DS18B20 driver (also DS1822, and DS18S20 with COUNT_REMAIN extended resolution) over a
 * OneWireBus, sans-IO in time: the driver never waits. A read cycle is
 *
 *   let wait = driver.startConversion();        // reset, SKIP ROM, 44h: all sensors convert
 *   for (;;) { sleep(wait); const s = driver.readAll(); if (s.done) use(s.readings); else wait = s.waitMs; }
 *
 * so N externally powered sensors take 2.08 + tCONV + 11.6·N ms (plus one 70 µs busy poll).
 * Extra steps only happen on faults: a bus-wide "still busy" after tCONV extends the wait, then
 * isolates sensors one by one to find the slow one; an 85.0 °C reading triggers one fresh
 * conversion to confirm it. `Ds18b20Sampler` (./sampler) runs this loop on host Timers.
 *
 * Parasite power: after each 44h/48h the driver calls bus.strongPullup(ms) for the whole
 * conversion, and still asks the caller to wait that long before the next bus operation
 * (strongPullup is expected to return at once and release the line by itself; any bus
 * operation ends it early).
 */
import type { OneWireBus } from '../platform';
import { searchAll, type SearchResult } from '../onewire/search';
import { readBytes, selectRom, skipRom } from '../onewire/master';
import { familyCode, romToHex, type RomId } from '../onewire/rom';
import {
  checkScratchpad,
  FAMILY_DS18S20,
  familyName,
  isSupportedFamily,
  SCRATCHPAD_BYTES,
  scratchpadIntact,
  scratchpadResolution,
  type FaultReason,
} from './scratchpad';
import { configForResolution, conversionTimeMs, type Resolution } from './temperature';

export const CONVERT_T = 0x44;
export const WRITE_SCRATCHPAD = 0x4e;
export const READ_SCRATCHPAD = 0xbe;
export const COPY_SCRATCHPAD = 0x48;
export const RECALL_E2 = 0xb8;
export const READ_POWER_SUPPLY = 0xb4;

/** EEPROM write time (datasheet tWR max 10 ms): strong pull-up duration for parasite copies. */
export const COPY_SCRATCHPAD_MS = 10;

export interface SensorInfo {
  id: string;
  rom: RomId;
  family: number;
  model: string;
  parasite: boolean;
  resolution: Resolution;
}

export interface RefusedDevice {
  id: string;
  family: number;
  reason: string;
}

export interface ScanResult {
  sensors: SensorInfo[];
  /** Devices found on the bus that this driver does not read, with why. */
  refused: RefusedDevice[];
  /** The search gave up after retries: the list may be incomplete. */
  failure?: SearchResult['failure'];
  searchErrors: number;
}

export interface SensorReading {
  id: string;
  /** Present only for a validated reading. */
  celsius?: number;
  fault?: FaultReason;
  detail?: string;
  /** Scratchpad reads spent on this sensor this cycle. */
  attempts: number;
  /** An 85.0 °C power-on value was seen (and a fresh conversion was needed). */
  powerOnReset?: boolean;
}

export type CycleStep = { done: false; waitMs: number } | { done: true; readings: SensorReading[] };

export interface Ds18b20Options {
  /** Extra scratchpad reads per sensor per cycle after a failed one. Default 2. */
  retries?: number;
  /** Wait at most this multiple of tCONV for a bus that still signals busy. Default 1.5. */
  conversionTimeoutFactor?: number;
  /** ROM search retries after a failed pass. Default 2. */
  searchRetries?: number;
}

type Phase = 'idle' | 'converting' | 'confirming' | 'isolating' | 'bus-failed';

export class Ds18b20Driver {
  private sensors: SensorInfo[] = [];
  private readonly retries: number;
  private readonly timeoutFactor: number;
  private readonly searchRetries: number;
  private readonly scratchpad = new Uint8Array(SCRATCHPAD_BYTES);

  private phase: Phase = 'idle';
  private results = new Map<string, SensorReading>();
  private waitedMs = 0;
  private lastWaitMs = 0;
  private convertMs = 0;
  private suspects: SensorInfo[] = [];
  private isolateIndex = 0;
  private busFault: FaultReason | undefined;
  /** Whether the last valid scratchpad read had the full power-on signature. */
  private lastPowerOnSignature = false;

  constructor(
    private readonly bus: OneWireBus,
    options: Ds18b20Options = {},
  ) {
    this.retries = options.retries ?? 2;
    this.timeoutFactor = options.conversionTimeoutFactor ?? 1.5;
    this.searchRetries = options.searchRetries ?? 2;
  }

  /** The sensors the last scan found (supported families only). */
  list(): readonly SensorInfo[] {
    return this.sensors;
  }

  get busy(): boolean {
    return this.phase !== 'idle';
  }

  /**
   * Searches the bus, keeps the supported sensors and learns, per sensor, its power mode
   * (READ POWER SUPPLY: a parasite device pulls the read slot low) and resolution.
   */
  scan(): ScanResult {
    this.assertIdle();
    const search = searchAll(this.bus, { retries: this.searchRetries });
    const sensors: SensorInfo[] = [];
    const refused: RefusedDevice[] = [];
    for (const rom of search.roms) {
      const id = romToHex(rom);
      const family = familyCode(rom);
      if (!isSupportedFamily(family)) {
        refused.push({ id, family, reason: `unsupported-family: ${familyName(family)} is not a DS18B20, DS1822 or DS18S20` });
        continue;
      }
      const parasite = this.readParasite(rom);
      let resolution: Resolution = family === FAMILY_DS18S20 ? 9 : 12;
      if (this.readScratchpad(rom) && scratchpadIntact(this.scratchpad)) {
        resolution = scratchpadResolution(family, this.scratchpad);
      }
      sensors.push({ id, rom, family, model: familyName(family), parasite, resolution });
    }
    // A failed search may be incomplete: keep reading the sensors it did not get to, so their
    // faults keep showing (a shorted bus) rather than the sensors silently dropping out.
    const found = sensors.slice();
    if (search.failure) {
      for (const old of this.sensors) if (!sensors.some((s) => s.id === old.id)) sensors.push(old);
    }
    this.sensors = sensors;
    const result: ScanResult = { sensors: found, refused, searchErrors: search.errors };
    if (search.failure) result.failure = search.failure;
    return result;
  }

  /** Longest tCONV among the sensors (DS18S20: always 750 ms). */
  conversionTimeMs(): number {
    let ms = 0;
    for (const s of this.sensors) ms = Math.max(ms, s.family === FAMILY_DS18S20 ? 750 : conversionTimeMs(s.resolution));
    return ms;
  }

  /** Starts a read cycle: every sensor converts at once. Returns the ms to wait before readAll(). */
  startConversion(): number {
    this.assertIdle();
    this.results = new Map();
    this.busFault = undefined;
    this.waitedMs = 0;
    this.suspects = [];
    this.convertMs = this.conversionTimeMs();
    if (this.sensors.length === 0) {
      this.phase = 'converting';
      return this.wait(0);
    }
    if (!this.convertAll()) {
      this.phase = 'bus-failed';
      return this.wait(0);
    }
    this.phase = 'converting';
    return this.wait(this.convertMs);
  }

  /**
   * Continues the cycle after the requested wait: reads every sensor's scratchpad (with
   * retries and validation). Returns done with one entry per sensor, or asks for another wait.
   */
  readAll(): CycleStep {
    if (this.phase === 'idle') throw new Error('ds18b20: readAll() without startConversion()');
    this.waitedMs += this.lastWaitMs;
    this.lastWaitMs = 0;
    switch (this.phase) {
      case 'bus-failed':
        for (const s of this.sensors) this.fail(s, this.busFault ?? 'no-presence', 'bus reset failed', 0);
        return this.finish();
      case 'converting': {
        const busy = this.stillBusy();
        if (busy === 'wait') return { done: false, waitMs: this.wait(Math.max(1, this.convertMs / 8)) };
        if (busy === 'timeout') {
          this.phase = 'isolating';
          this.isolateIndex = 0;
          return this.isolateNext();
        }
        for (const s of this.sensors) {
          const reading = this.readSensor(s);
          if (reading.fault === undefined && reading.powerOnReset) this.suspects.push(s);
          else this.results.set(s.id, reading);
        }
        if (this.suspects.length === 0) return this.finish();
        // An 85.0 °C value: convert again and re-read those sensors; a real 85 °C stays 85.
        if (!this.convertAll()) {
          for (const s of this.suspects) this.fail(s, this.busFault ?? 'no-presence', 'bus reset failed', 1);
          return this.finish();
        }
        this.phase = 'confirming';
        this.waitedMs = 0;
        return { done: false, waitMs: this.wait(this.convertMs) };
      }
      case 'confirming': {
        const busy = this.stillBusy();
        if (busy === 'wait') return { done: false, waitMs: this.wait(Math.max(1, this.convertMs / 8)) };
        for (const s of this.suspects) {
          const reading = this.readSensor(s);
          reading.powerOnReset = true;
          if (reading.fault === undefined && reading.celsius === 85 && !this.lastPowerOnSignature) {
            this.results.set(s.id, reading); // confirmed: really 85 °C
          } else if (reading.fault === undefined && reading.celsius !== 85) {
            this.results.set(s.id, reading); // the first 85 was a reset; this value is fresh
          } else if (reading.fault === undefined) {
            this.fail(s, 'power-on-85', 'still the 85.0 °C power-on value after a fresh conversion', reading.attempts, true);
          } else {
            this.results.set(s.id, reading);
          }
        }
        return this.finish();
      }
      case 'isolating':
        return this.isolateStep();
    }
  }

  /** Runs a whole cycle synchronously, calling `sleep(ms)` for each wait (tests, simulators). */
  readCycle(sleep: (ms: number) => void): SensorReading[] {
    let wait = this.startConversion();
    for (;;) {
      sleep(wait);
      const step = this.readAll();
      if (step.done) return step.readings;
      wait = step.waitMs;
    }
  }

  /**
   * Writes resolution (and optionally alarm limits TH/TL, whole °C) into each target sensor's
   * scratchpad (4Eh), verifies it by reading back, and with `persist` copies it to EEPROM (48h,
   * with a 10 ms strong pull-up on parasite sensors). Returns the ms the caller must wait
   * before the next bus operation (EEPROM write time) and the sensors that failed.
   */
  configure(
    settings: { resolution?: Resolution; alarmHigh?: number; alarmLow?: number },
    options: { only?: string; persist?: boolean } = {},
  ): { waitMs: number; failed: { id: string; reason: string }[] } {
    this.assertIdle();
    const failed: { id: string; reason: string }[] = [];
    const written: SensorInfo[] = [];
    let waitMs = 0;
    for (const s of this.sensors) {
      if (options.only !== undefined && options.only !== s.id) continue;
      if (!this.readScratchpad(s.rom) || !scratchpadIntact(this.scratchpad)) {
        failed.push({ id: s.id, reason: 'cannot read the scratchpad' });
        continue;
      }
      const th = settings.alarmHigh !== undefined ? settings.alarmHigh & 0xff : this.scratchpad[2];
      const tl = settings.alarmLow !== undefined ? settings.alarmLow & 0xff : this.scratchpad[3];
      const ds18s20 = s.family === FAMILY_DS18S20;
      if (ds18s20 && settings.resolution !== undefined && settings.resolution !== 9) {
        failed.push({ id: s.id, reason: 'DS18S20 has a fixed 9-bit resolution' });
        continue;
      }
      const resolution = settings.resolution ?? s.resolution;
      const config = configForResolution(resolution);
      if (!selectRom(this.bus, s.rom)) {
        failed.push({ id: s.id, reason: 'no presence' });
        continue;
      }
      this.bus.writeByte(WRITE_SCRATCHPAD);
      this.bus.writeByte(th);
      this.bus.writeByte(tl);
      if (!ds18s20) this.bus.writeByte(config);
      const sp = this.scratchpad;
      if (!this.readScratchpad(s.rom) || !scratchpadIntact(sp) || sp[2] !== th || sp[3] !== tl || (!ds18s20 && (sp[4] & 0x60) !== (config & 0x60))) {
        failed.push({ id: s.id, reason: 'read-back does not match what was written' });
        continue;
      }
      s.resolution = ds18s20 ? 9 : resolution;
      written.push(s);
    }
    if (options.persist && written.length > 0) {
      // One copy for all: SKIP ROM + 48h makes every device copy its own scratchpad, so the
      // EEPROM write times overlap and a parasite bus needs a single 10 ms pull-up.
      const addressed = options.only !== undefined ? selectRom(this.bus, written[0].rom) : skipRom(this.bus);
      if (!addressed) {
        for (const s of written) failed.push({ id: s.id, reason: 'no presence for the EEPROM copy' });
      } else {
        this.bus.writeByte(COPY_SCRATCHPAD);
        if (this.sensors.some((s) => s.parasite)) this.bus.strongPullup?.(COPY_SCRATCHPAD_MS);
        waitMs = COPY_SCRATCHPAD_MS;
      }
    }
    return { waitMs, failed };
  }

  /** Reads the alarm limits back via RECALL E2 (B8h) then the scratchpad: what EEPROM holds. */
  recallEeprom(id: string): { alarmHigh: number; alarmLow: number; resolution: Resolution } | undefined {
    this.assertIdle();
    const s = this.sensors.find((x) => x.id === id);
    if (!s || !selectRom(this.bus, s.rom)) return undefined;
    this.bus.writeByte(RECALL_E2);
    let polls = 0;
    while (!s.parasite && this.bus.readBit() === 0 && polls++ < 100);
    if (!this.readScratchpad(s.rom) || !scratchpadIntact(this.scratchpad)) return undefined;
    const sp = this.scratchpad;
    return { alarmHigh: toSigned8(sp[2]), alarmLow: toSigned8(sp[3]), resolution: scratchpadResolution(s.family, sp) };
  }

  // ---- internals ----

  private assertIdle(): void {
    if (this.phase !== 'idle') throw new Error('ds18b20: a read cycle is in progress');
  }

  private wait(ms: number): number {
    this.lastWaitMs = ms;
    return ms;
  }

  private finish(): CycleStep {
    this.phase = 'idle';
    const readings: SensorReading[] = [];
    for (const s of this.sensors) {
      readings.push(this.results.get(s.id) ?? { id: s.id, fault: 'no-response', detail: 'not read', attempts: 0 });
    }
    return { done: true, readings };
  }

  private fail(s: SensorInfo, reason: FaultReason, detail: string, attempts: number, powerOnReset = false): void {
    const reading: SensorReading = { id: s.id, fault: reason, detail, attempts };
    if (powerOnReset) reading.powerOnReset = true;
    this.results.set(s.id, reading);
  }

  /** Reset + SKIP ROM + 44h, with the strong pull-up if any sensor is parasite-powered. */
  private convertAll(): boolean {
    if (!skipRom(this.bus)) {
      this.busFault = this.probeBusFault();
      return false;
    }
    this.bus.writeByte(CONVERT_T);
    if (this.sensors.some((s) => s.parasite)) this.bus.strongPullup?.(this.convertMs);
    return true;
  }

  /** After a reset without presence: a line stuck low is a short, a line high is an empty bus. */
  private probeBusFault(): FaultReason {
    return this.bus.readBit() === 0 ? 'bus-short' : 'no-presence';
  }

  /**
   * Externally powered devices hold read slots low while converting (wired-AND over all of
   * them after SKIP ROM). Parasite buses cannot be polled; the wait alone must do.
   */
  private stillBusy(): 'done' | 'wait' | 'timeout' {
    if (this.sensors.some((s) => s.parasite)) return 'done';
    if (this.bus.readBit() === 1) return 'done';
    return this.waitedMs < this.convertMs * this.timeoutFactor ? 'wait' : 'timeout';
  }

  /** Slow conversion: convert each sensor alone; one still busy after tCONV is the culprit. */
  private isolateNext(): CycleStep {
    while (this.isolateIndex < this.sensors.length) {
      const s = this.sensors[this.isolateIndex];
      if (!selectRom(this.bus, s.rom)) {
        this.fail(s, this.probeBusFault(), 'bus reset failed', 0);
        this.isolateIndex++;
        continue;
      }
      this.bus.writeByte(CONVERT_T);
      return { done: false, waitMs: this.wait(s.family === FAMILY_DS18S20 ? 750 : conversionTimeMs(s.resolution)) };
    }
    return this.finish();
  }

  private isolateStep(): CycleStep {
    const s = this.sensors[this.isolateIndex];
    // Only the selected device is listening, so this slot is its own busy flag.
    if (this.bus.readBit() === 0) {
      this.fail(s, 'slow-conversion', 'still converting after tCONV', 0);
    } else {
      const reading = this.readSensor(s);
      if (reading.fault === undefined && reading.powerOnReset) {
        this.fail(s, 'power-on-85', '85.0 °C power-on value', reading.attempts, true);
      } else {
        this.results.set(s.id, reading);
      }
    }
    this.isolateIndex++;
    return this.isolateNext();
  }

  /** Reads one sensor's scratchpad with bounded retries; validated or a fault with reason. */
  private readSensor(s: SensorInfo): SensorReading {
    let last: { reason: FaultReason; detail: string } = { reason: 'no-response', detail: 'not read' };
    for (let attempt = 1; attempt <= this.retries + 1; attempt++) {
      if (!this.readScratchpad(s.rom)) {
        const reason = this.probeBusFault();
        // Nothing on the bus answers resets: retrying cannot help within this cycle.
        return { id: s.id, fault: reason, detail: 'no presence pulse on reset', attempts: attempt };
      }
      const check = checkScratchpad(s.family, this.scratchpad);
      if (check.ok) {
        s.resolution = check.resolution;
        this.lastPowerOnSignature = check.powerOnSignature;
        const reading: SensorReading = { id: s.id, celsius: check.celsius, attempts: attempt };
        if (check.powerOn85) reading.powerOnReset = true;
        return reading;
      }
      last = check;
    }
    return { id: s.id, fault: last.reason, detail: last.detail, attempts: this.retries + 1 };
  }

  private readScratchpad(rom: RomId): boolean {
    if (!selectRom(this.bus, rom)) return false;
    this.bus.writeByte(READ_SCRATCHPAD);
    readBytes(this.bus, this.scratchpad, 0, SCRATCHPAD_BYTES);
    return true;
  }

  private readParasite(rom: RomId): boolean {
    if (!selectRom(this.bus, rom)) return false;
    this.bus.writeByte(READ_POWER_SUPPLY);
    return this.bus.readBit() === 0;
  }

}

function toSigned8(value: number): number {
  return value & 0x80 ? value - 0x100 : value;
}

