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
 * conversion to confirm it, with a mark in the scratchpad that tells a real 85 °C from a
 * power-on reset on genuine parts and clones alike (./power-on-check says what that relies
 * on). `Ds18b20Sampler` (./sampler) runs this loop on host Timers.
 *
 * Parasite power: after each 44h/48h the driver calls bus.strongPullup(ms) for the whole
 * conversion, and still asks the caller to wait that long before the next bus operation
 * (strongPullup is expected to return at once and release the line by itself; any bus
 * operation ends it early). A bus without strongPullup cannot feed a parasite-powered sensor
 * through a conversion: such a sensor is reported with the fault 'parasite-unsupported' and
 * never read (it would only brown out and read its power-on value).
 */
import type { OneWireBus } from '../platform';
import { searchAll, type SearchResult } from '../onewire/search';
import { selectRom, skipRom } from '../onewire/master';
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
import { markScratchpad, resetSinceMark, unmark, type PowerOnMark } from './power-on-check';
import { applySettings, type SensorSettingsWanted } from './sensor-config';
import { COPY_SCRATCHPAD, COPY_SCRATCHPAD_MS, copyScratchpad, readScratchpad, recallEeprom } from './scratchpad-io';
import { conversionTimeMs, type Resolution } from './temperature';

export { COPY_SCRATCHPAD, COPY_SCRATCHPAD_MS, READ_SCRATCHPAD, RECALL_E2, WRITE_SCRATCHPAD } from './scratchpad-io';
export const CONVERT_T = 0x44;
export const READ_POWER_SUPPLY = 0xb4;

/** What configure() did. */
export interface ConfigureResult {
  /** Ms the caller must leave the bus alone (an EEPROM copy in progress). */
  waitMs: number;
  /** Sensors that did not take the setting or could not be reached, with why. */
  failed: { id: string; reason: string }[];
  /** Of those, the ones that answered but read back something else (the setting is refused, not retried). */
  refused: { id: string; reason: string }[];
  /** Sensors whose EEPROM was written (48h) by this call. */
  copied: string[];
  /** Sensors whose EEPROM still needs the copy: call configure again after waitMs. */
  copyPending: string[];
}

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
  /** TH marks of the 85.0 °C suspects during the confirming conversion, by sensor id. */
  private marks = new Map<string, PowerOnMark | string>();

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
      // A known sensor keeps what was probed when it was found: a periodic search costs the
      // search alone (about 14.9 ms of bus time per device), not two more transactions each.
      const known = this.sensors.find((s) => s.id === id);
      if (known) {
        sensors.push(known);
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
    this.results.clear();
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
          // A sensor that reset (power cycle) is back at its EEPROM resolution and converts
          // longer than we waited: learn the resolutions again before blaming anyone.
          const longer = this.refreshResolutions();
          if (longer > 0) return { done: false, waitMs: this.wait(longer) };
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
        return this.startConfirming();
      }
      case 'confirming': {
        const busy = this.stillBusy();
        if (busy === 'wait') return { done: false, waitMs: this.wait(Math.max(1, this.convertMs / 8)) };
        for (const s of this.suspects) this.confirm(s);
        return this.finish();
      }
      case 'isolating':
        return this.isolateStep();
    }
  }

  /**
   * An 85.0 °C value: mark each suspect's scratchpad TH (./power-on-check), convert again and
   * re-read them. A mark still there shows no reset during that conversion.
   */
  private startConfirming(): CycleStep {
    this.marks = new Map();
    for (const s of this.suspects) this.marks.set(s.id, markScratchpad(this.bus, s, this.scratchpad));
    this.convertMs = this.conversionTimeMs(); // a reset may have changed a resolution
    if (!this.convertAll()) {
      for (const s of this.suspects) this.fail(s, this.busFault ?? 'no-presence', 'bus reset failed', 1);
      return this.finish();
    }
    this.phase = 'confirming';
    this.waitedMs = 0;
    return { done: false, waitMs: this.wait(this.convertMs) };
  }

  /** Reads a suspect after the confirming conversion and decides: a real value, or the power-on one. */
  private confirm(s: SensorInfo): void {
    const reading = this.readSensor(s);
    const mark = this.marks.get(s.id);
    if (reading.fault !== undefined) {
      this.results.set(s.id, reading);
      return;
    }
    if (typeof mark === 'object' && resetSinceMark(mark, this.scratchpad)) {
      // Reset during the conversion: the scratchpad is the EEPROM's again, nothing to restore.
      this.fail(s, 'power-on-85', 'reset during a fresh conversion (TH back at its EEPROM value): the 85.0 °C power-on value', reading.attempts, true);
      return;
    }
    if (typeof mark === 'object') unmark(this.bus, s, mark);
    if (reading.celsius !== 85) {
      reading.powerOnReset = true; // the first 85.0 was the power-on value; this one is fresh
      this.results.set(s.id, reading);
    } else if (typeof mark === 'object') {
      delete reading.powerOnReset; // a real 85.0 °C: the sensor did not reset while converting
      this.results.set(s.id, reading);
    } else {
      this.fail(s, 'power-on-85', `85.0 °C again and ${mark ?? 'no mark'}: a real 85 °C cannot be told from a power-on reset`, reading.attempts, true);
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
   * Applies resolution (and optionally alarm limits TH/TL, whole °C) to each target sensor
   * (./sensor-config): written to the scratchpad (4Eh) and verified by reading back; with
   * `persist` also to EEPROM (48h), but only where the EEPROM does not hold it already (RECALL
   * E2 tells). A sensor that reads back something else refuses the setting (`refused`, and its
   * resolution is what it reads). One EEPROM copy per call: one SKIP ROM copy when every sensor
   * on the bus needs it, else one sensor's, the others in `copyPending` for the next call after
   * `waitMs` (the EEPROM write time, with the strong pull-up on parasite sensors).
   */
  configure(settings: SensorSettingsWanted, options: { only?: string; persist?: boolean } = {}): ConfigureResult {
    this.assertIdle();
    const result: ConfigureResult = { waitMs: 0, failed: [], refused: [], copied: [], copyPending: [] };
    const needCopy: SensorInfo[] = [];
    for (const s of this.sensors) {
      if (options.only !== undefined && options.only !== s.id) continue;
      const outcome = applySettings(this.bus, s, settings, options.persist === true, this.scratchpad);
      if (outcome.kind === 'refused' || outcome.kind === 'failed') {
        result.failed.push({ id: s.id, reason: outcome.reason });
        if (outcome.kind === 'refused') result.refused.push({ id: s.id, reason: outcome.reason });
      } else if (outcome.kind === 'written' && outcome.copy) needCopy.push(s);
    }
    if (needCopy.length === 0) return result;
    if (needCopy.length > 1 && needCopy.length === this.sensors.length) {
      // SKIP ROM + 48h: every device copies its own scratchpad at once, one tWR for all.
      if (!skipRom(this.bus)) {
        for (const s of needCopy) result.failed.push({ id: s.id, reason: 'no presence for the EEPROM copy' });
        return result;
      }
      this.bus.writeByte(COPY_SCRATCHPAD);
      if (this.sensors.some((s) => s.parasite)) this.bus.strongPullup?.(COPY_SCRATCHPAD_MS);
      for (const s of needCopy) result.copied.push(s.id);
    } else {
      const first = needCopy[0];
      if (!copyScratchpad(this.bus, first.rom, first.parasite)) result.failed.push({ id: first.id, reason: 'no presence for the EEPROM copy' });
      else result.copied.push(first.id);
      for (let i = 1; i < needCopy.length; i++) result.copyPending.push(needCopy[i].id);
    }
    if (result.copied.length > 0) result.waitMs = COPY_SCRATCHPAD_MS;
    return result;
  }

  /** Reads the alarm limits back via RECALL E2 (B8h) then the scratchpad: what EEPROM holds. */
  recallEeprom(id: string): { alarmHigh: number; alarmLow: number; resolution: Resolution } | undefined {
    this.assertIdle();
    const s = this.sensors.find((x) => x.id === id);
    if (!s || !recallEeprom(this.bus, s.rom, s.parasite)) return undefined;
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
    // Released now, not at the next cycle: between cycles the map and its readings would be
    // about 10 XS slots per sensor held for nothing (issue 11: 24 sensors on the ESP32's heap).
    this.results.clear();
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
    if (this.feedsParasite()) this.bus.strongPullup?.(this.convertMs);
    return true;
  }

  /** Some sensor is parasite-powered and the bus can feed it (strong pull-up). */
  private feedsParasite(): boolean {
    return this.bus.strongPullup !== undefined && this.sensors.some((s) => s.parasite);
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
    if (this.feedsParasite()) return 'done';
    if (this.bus.readBit() === 1) return 'done';
    return this.waitedMs < this.convertMs * this.timeoutFactor ? 'wait' : 'timeout';
  }

  /**
   * Reads each sensor's configuration byte again (the scratchpad can be read while converting).
   * Returns how much longer the longest conversion needs than was waited, or 0.
   */
  private refreshResolutions(): number {
    for (const s of this.sensors) {
      if (s.family !== FAMILY_DS18S20 && this.readScratchpad(s.rom) && scratchpadIntact(this.scratchpad)) s.resolution = scratchpadResolution(s.family, this.scratchpad);
    }
    const convertMs = this.conversionTimeMs();
    if (convertMs <= this.convertMs) return 0;
    this.convertMs = convertMs;
    return Math.max(1, convertMs - this.waitedMs);
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
    if (s.parasite && this.bus.strongPullup === undefined) {
      return { id: s.id, fault: 'parasite-unsupported', detail: 'parasite-powered, and this bus has no strong pull-up to feed a conversion: power the sensor from VDD', attempts: 0 };
    }
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
        const reading: SensorReading = { id: s.id, celsius: check.celsius, attempts: attempt };
        if (check.powerOn85) reading.powerOnReset = true;
        return reading;
      }
      last = check;
    }
    return { id: s.id, fault: last.reason, detail: last.detail, attempts: this.retries + 1 };
  }

  private readScratchpad(rom: RomId): boolean {
    return readScratchpad(this.bus, rom, this.scratchpad);
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

