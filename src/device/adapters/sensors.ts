/**
 * Binds the SensorSource port to the DS18B20 driver and the sensor registry (src/sensors)
 * over a 1-Wire bus. Reads run on the host's timers through Ds18b20Sampler, so a conversion
 * waits its real tCONV without blocking. A scan or resolution change requested during a cycle
 * is applied when the cycle ends (the driver refuses bus commands while converting).
 *
 * The configured resolution is kept true on the bus: it is written with persist (the driver
 * copies to EEPROM only where the EEPROM differs), and after every cycle each sensor's
 * resolution as read back is compared with it: a sensor back at another one (a power-on reset
 * reloads the EEPROM, a hot-plugged sensor brings its own) gets it again. A sensor that does
 * not take it (its configuration register ignores writes) is not asked again until the
 * setting changes or the sensor is found again; its reading carries the reason in `refused`
 * and its real resolution.
 */
import type { Clock, Log, OneWireBus, TimerId, Timers } from '../../platform';
import { Ds18b20Driver, type Ds18b20Options, type SensorInfo } from '../../sensors/ds18b20';
import { SensorRegistry, type SensorEntry } from '../../sensors/registry';
import { Ds18b20Sampler } from '../../sensors/sampler';
import { FAMILY_DS18S20 } from '../../sensors/scratchpad';
import type { Resolution } from '../../sensors/temperature';
import type { SensorReading, SensorSource } from '../ports';
import type { SensorSetting } from '../sensor-settings';

export interface BusSensorsOptions {
  driver?: Ds18b20Options;
  /** Names for known ROM ids; others are named T1, T2, ... in order of discovery. */
  names?: Record<string, string>;
}

export class BusSensorSource implements SensorSource {
  readonly driver: Ds18b20Driver;
  readonly registry: SensorRegistry;
  private readonly sampler: Ds18b20Sampler;
  private readonly clock: Clock;
  private readonly log: Log | undefined;
  private readonly names: Record<string, string>;
  /** Name each sensor got at discovery, restored when its configured name is cleared. */
  private readonly defaultNames = new Map<string, string>();
  /**
   * Settings by upper-case ROM id for sensors not found yet; applied and dropped at discovery.
   * A known sensor's name and offset live in its registry entry only: a copy here was 6 XS
   * slots per named sensor (issue 11: 24 sensors on the ESP32's heap).
   */
  private readonly pending = new Map<string, SensorSetting>();
  private discovered = 0;
  private reading = false;
  private scanPending = false;
  private resolutionPending: number | undefined;
  /** The one sensor the pending resolution is for (undefined: all of them). */
  private pendingFor: string | undefined;
  /** The configured resolution (undefined: leave the sensors as they are). */
  private wanted: number | undefined;
  /** Sensors that refused `wanted`, with why. */
  private readonly refusedBy = new Map<string, string>();
  /** Host time until which an EEPROM copy is in progress: no bus operation before it. */
  private busyUntil = -Infinity;
  /** A timer that resumes pending EEPROM copies. */
  private copyTimer: TimerId | undefined;
  private readonly timers: Timers;

  constructor(bus: OneWireBus, timers: Timers, clock: Clock, log?: Log, options: BusSensorsOptions = {}) {
    this.driver = new Ds18b20Driver(bus, options.driver);
    this.registry = new SensorRegistry({ onAdded: (id) => this.name(id) });
    this.sampler = new Ds18b20Sampler(this.driver, timers);
    this.timers = timers;
    this.clock = clock;
    this.log = log;
    this.names = options.names ?? {};
  }

  private name(id: string): void {
    this.discovered++;
    this.defaultNames.set(id, this.names[id] ?? `T${this.discovered}`);
    this.applySetting(id);
  }

  /** A sensor just found: its pending setting, or its default name and no offset. */
  private applySetting(id: string): void {
    const key = id.toUpperCase();
    this.apply(id, this.pending.get(key));
    this.pending.delete(key);
  }

  private apply(id: string, s: SensorSetting | undefined): void {
    this.registry.configure(id, { name: s?.name ?? this.defaultNames.get(id) ?? id, offset: s?.offset ?? 0 });
  }

  configureSensor(id: string, setting: SensorSetting | undefined): SensorReading | undefined {
    const key = id.toUpperCase();
    let current: SensorReading | undefined;
    for (const e of this.registry.list()) {
      if (e.id.toUpperCase() !== key) continue;
      this.apply(e.id, setting);
      current = this.currentReading(e.id);
    }
    // Not on the bus yet: kept until it is found.
    if (current !== undefined || setting === undefined) this.pending.delete(key);
    else this.pending.set(key, { ...setting });
    return current;
  }

  scan(): void {
    if (this.reading || this.busyUntil > this.clock.now()) {
      this.scanPending = true;
      return;
    }
    this.scanPending = false;
    try {
      const result = this.driver.scan();
      const diff = this.registry.applyScan(result);
      if (diff.added.length + diff.returned.length + diff.vanished.length > 0) {
        this.log?.write('info', 'sensors', `scan: ${result.sensors.length} sensor(s); added ${diff.added.length}, returned ${diff.returned.length}, vanished ${diff.vanished.length}`);
      }
      if (diff.added.length + diff.returned.length > 0 && this.wanted !== undefined) {
        // New sensors get the configured resolution too; one found again may take it now.
        for (const id of diff.added.concat(diff.returned)) this.refusedBy.delete(id);
        this.resolutionPending = this.wanted;
        this.pendingFor = undefined;
      }
    } catch (error) {
      this.log?.write('warn', 'sensors', `scan failed: ${String(error)}`);
    }
    this.applyResolution();
  }

  setResolution(bits: number): void {
    if (bits !== this.wanted) this.refusedBy.clear();
    this.wanted = bits;
    this.resolutionPending = bits;
    this.pendingFor = undefined;
    if (!this.reading) this.applyResolution();
  }

  private applyResolution(): void {
    const bits = this.resolutionPending;
    if (bits === undefined || this.driver.list().length === 0 || this.copyTimer !== undefined) return;
    const only = this.pendingFor;
    this.resolutionPending = undefined;
    this.pendingFor = undefined;
    try {
      const result = this.driver.configure({ resolution: bits as Resolution }, { persist: true, only });
      for (const r of result.refused) {
        // Info here: the device reports it (twin refused, lastError) and warns once.
        if (this.refusedBy.get(r.id) !== r.reason) this.log?.write('info', 'sensors', `resolution ${bits} refused by ${r.id}: ${r.reason}`);
        this.refusedBy.set(r.id, r.reason);
      }
      for (const f of result.failed) if (!this.refusedBy.has(f.id)) this.log?.write('warn', 'sensors', `resolution ${bits} on ${f.id}: ${f.reason}`);
      for (const id of result.copied) this.log?.write('info', 'sensors', `resolution ${bits} stored in the EEPROM of ${id}`);
      if (result.waitMs > 0) this.busyUntil = this.clock.now() + result.waitMs;
      if (result.copyPending.length > 0) {
        this.resolutionPending = bits;
        this.pendingFor = undefined;
        this.copyTimer = this.timers.set(() => {
          this.copyTimer = undefined;
          if (!this.reading) this.applyResolution();
        }, result.waitMs);
      }
    } catch (error) {
      this.log?.write('warn', 'sensors', `resolution ${bits}: ${String(error)}`);
    }
  }

  /**
   * After a cycle: an online sensor whose resolution reads back other than configured (and has
   * not refused it) gets it again, addressed alone when it is the only one.
   */
  private checkResolutions(): void {
    const wanted = this.wanted;
    if (wanted === undefined) return;
    const off: string[] = [];
    for (const s of this.driver.list()) {
      if (s.resolution === wanted || this.refusedBy.has(s.id) || (s.family === FAMILY_DS18S20 && wanted !== 9)) continue;
      if (this.registry.get(s.id)?.status !== 'online') continue;
      this.log?.write('info', 'sensors', `${s.id} reads ${s.resolution} bits, configured ${wanted} (power-on reset?): applying it again`);
      off.push(s.id);
    }
    if (off.length === 0) return;
    const alreadyAll = this.resolutionPending !== undefined && this.pendingFor === undefined;
    this.resolutionPending = wanted;
    this.pendingFor = off.length === 1 && !alreadyAll ? off[0] : undefined;
  }

  read(onReadings: (readings: SensorReading[]) => void): void {
    if (this.driver.list().length === 0) {
      onReadings(this.readings());
      return;
    }
    const wait = this.busyUntil - this.clock.now();
    if (wait > 0) {
      // An EEPROM copy is still being written: start the conversion when it is done.
      this.reading = true;
      this.timers.set(() => {
        this.reading = false;
        this.read(onReadings);
      }, wait);
      return;
    }
    this.reading = true;
    const finish = (): void => {
      this.reading = false;
      this.checkResolutions();
      if (this.scanPending) this.scan();
      else this.applyResolution();
      onReadings(this.readings());
    };
    this.sampler.read(
      (results) => {
        this.registry.applyReadings(results, this.clock.now(), this.driver.list());
        finish();
      },
      (error) => {
        this.log?.write('warn', 'sensors', `read failed: ${String(error)}`);
        finish();
      },
    );
  }

  /** The registry as port readings, in discovery order. */
  readings(): SensorReading[] {
    return this.registry.list().map((e) => this.toReading(e));
  }

  private currentReading(id: string): SensorReading | undefined {
    const e = this.registry.get(id);
    return e && this.toReading(e);
  }

  private toReading(e: SensorEntry): SensorReading {
    const r: SensorReading = { id: e.id, name: e.name ?? e.id, value: e.status === 'online' ? e.celsius : undefined, status: e.status };
    if (e.reason !== undefined) r.error = e.detail ? `${e.reason}: ${e.detail}` : e.reason;
    const info: SensorInfo | undefined = this.driver.list().find((s) => s.id === e.id);
    if (info !== undefined) r.resolution = info.resolution;
    const refused = this.refusedBy.get(e.id);
    // A sensor that is gone refuses nothing; found again, it is asked again (scan).
    if (refused !== undefined && this.wanted !== undefined && e.status !== 'missing') r.refused = { resolution: `${this.wanted} bits: ${refused}` };
    return r;
  }
}
