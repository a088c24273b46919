/**
 * Binds the SensorSource port to the DS18B20 driver and the sensor registry (src/sensors)
 * over a 1-Wire bus. Reads run on the host's timers through Ds18b20Sampler, so a conversion
 * waits its real tCONV without blocking. A scan or resolution change requested during a cycle
 * is applied when the cycle ends (the driver refuses bus commands while converting).
 */
import type { Clock, Log, OneWireBus, Timers } from '../../platform';
import { Ds18b20Driver, type Ds18b20Options } from '../../sensors/ds18b20';
import { SensorRegistry, type SensorEntry } from '../../sensors/registry';
import { Ds18b20Sampler } from '../../sensors/sampler';
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
  /** Settings by upper-case ROM id, including sensors not found yet. */
  private readonly settings = new Map<string, SensorSetting>();
  private discovered = 0;
  private reading = false;
  private scanPending = false;
  private resolutionPending: number | undefined;

  constructor(bus: OneWireBus, timers: Timers, clock: Clock, log?: Log, options: BusSensorsOptions = {}) {
    this.driver = new Ds18b20Driver(bus, options.driver);
    this.registry = new SensorRegistry({ onAdded: (id) => this.name(id) });
    this.sampler = new Ds18b20Sampler(this.driver, timers);
    this.clock = clock;
    this.log = log;
    this.names = options.names ?? {};
  }

  private name(id: string): void {
    this.discovered++;
    this.defaultNames.set(id, this.names[id] ?? `T${this.discovered}`);
    this.applySetting(id);
  }

  private applySetting(id: string): void {
    const s = this.settings.get(id.toUpperCase());
    this.registry.configure(id, { name: s?.name ?? this.defaultNames.get(id) ?? id, offset: s?.offset ?? 0 });
  }

  configureSensor(id: string, setting: SensorSetting | undefined): SensorReading | undefined {
    const key = id.toUpperCase();
    if (setting === undefined) this.settings.delete(key);
    else this.settings.set(key, { ...setting });
    let current: SensorReading | undefined;
    for (const e of this.registry.list()) {
      if (e.id.toUpperCase() !== key) continue;
      this.applySetting(e.id);
      current = this.currentReading(e.id);
    }
    return current;
  }

  scan(): void {
    if (this.reading) {
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
      if (diff.added.length + diff.returned.length > 0 && this.resolutionPending === undefined) {
        // New sensors get the configured resolution too.
        const r = this.lastResolution;
        if (r !== undefined) this.resolutionPending = r;
      }
    } catch (error) {
      this.log?.write('warn', 'sensors', `scan failed: ${String(error)}`);
    }
    this.applyResolution();
  }

  private lastResolution: number | undefined;

  setResolution(bits: number): void {
    this.lastResolution = bits;
    this.resolutionPending = bits;
    if (!this.reading) this.applyResolution();
  }

  private applyResolution(): void {
    const bits = this.resolutionPending;
    if (bits === undefined || this.driver.list().length === 0) return;
    this.resolutionPending = undefined;
    try {
      const result = this.driver.configure({ resolution: bits as Resolution });
      for (const f of result.failed) this.log?.write('warn', 'sensors', `resolution ${bits} on ${f.id}: ${f.reason}`);
    } catch (error) {
      this.log?.write('warn', 'sensors', `resolution ${bits}: ${String(error)}`);
    }
  }

  read(onReadings: (readings: SensorReading[]) => void): void {
    if (this.driver.list().length === 0) {
      onReadings(this.readings());
      return;
    }
    this.reading = true;
    const finish = (): void => {
      this.reading = false;
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
    return this.registry.list().map(toReading);
  }

  private currentReading(id: string): SensorReading | undefined {
    const e = this.registry.get(id);
    return e && toReading(e);
  }
}

function toReading(e: SensorEntry): SensorReading {
  const r: SensorReading = { id: e.id, name: e.name ?? e.id, value: e.status === 'online' ? e.celsius : undefined, status: e.status };
  if (e.reason !== undefined) r.error = e.detail ? `${e.reason}: ${e.detail}` : e.reason;
  return r;
}
