/**
 * Configuration changes from every source (twin, C2D, methods, a local operator): validates and
 * applies them to the live configuration and the per-sensor settings, stores them, and puts each
 * change into effect (schedules re-armed, thresholds, resolution, display message, sensor names
 * and offsets).
 */
import type { ApplyResult } from './config';
import { CONFIG_KEY, type DeviceContext } from './context';
import type { SensorSource } from './ports';
import type { Screen } from './screen';
import type { SensorSettings } from './sensor-settings';
import type { SensorTable } from './sensor-table';
import type { AlarmHandler, LimitAlarms } from './limit-alarms';

/** Storage key of the per-sensor names and offsets (SensorSettings.serialize: at most 24 entries, within one NVS value). */
export const SENSORS_KEY = 'sensors';

/** What a configuration change acts on besides the configuration itself. */
export interface ConfigTargets {
  sensors: SensorSource;
  settings: SensorSettings;
  table: SensorTable;
  screen: Screen;
  /** Re-arms the schedule an interval property drives. */
  rearm(key: 'samplingIntervalMs' | 'telemetryIntervalMs' | 'aggregatePeriodMs'): void;
  /** Sends the reported properties (after a change from a source other than the twin). */
  report(): void;
  /** Limit alarms (twin `alarms`), and where their changes go. */
  alarms?: LimitAlarms;
  onAlarm: AlarmHandler;
}

export class ConfigSync {
  private readonly ctx: DeviceContext;
  private readonly t: ConfigTargets;

  constructor(ctx: DeviceContext, targets: ConfigTargets) {
    this.ctx = ctx;
    this.t = targets;
  }

  /**
   * Applies validated configuration. `replace`: the patch is a complete desired document, so
   * sensor settings it does not hold return to their defaults.
   */
  configure(patch: Record<string, unknown>, source: string, replace = false): ApplyResult {
    let rest = patch;
    const hasSensors = Object.prototype.hasOwnProperty.call(patch, 'sensors');
    const hasAlarms = Object.prototype.hasOwnProperty.call(patch, 'alarms');
    if (hasSensors || hasAlarms) {
      rest = {};
      for (const key of Object.keys(patch)) if (key !== 'sensors' && key !== 'alarms') rest[key] = patch[key];
    }
    const config = this.ctx.config;
    const result = config.apply(rest);
    for (const key of result.applied) {
      this.ctx.host.log.write('info', 'config', `${key} = ${JSON.stringify((config.current as unknown as Record<string, unknown>)[key])} (${source})`);
      this.putIntoEffect(key);
    }
    if (result.applied.length > 0) this.ctx.host.storage.set(CONFIG_KEY, config.serialize());
    // A complete document without `sensors` configures none: every sensor back to its defaults.
    if (hasSensors || replace) this.configureSensors(hasSensors ? patch.sensors : {}, source, replace, result);
    if ((hasAlarms || replace) && this.t.alarms) {
      for (const id of this.t.alarms.configure(hasAlarms ? patch.alarms : {}, replace, result, this.t.onAlarm)) {
        this.ctx.host.log.write('info', 'config', `alarm ${id} = ${JSON.stringify(this.t.alarms.settings.get(id) ?? null)} (${source})`);
      }
    }
    if (result.applied.length > 0) {
      this.t.screen.render();
      if (source !== 'twin' && this.ctx.connected) this.t.report();
    }
    return result;
  }

  private putIntoEffect(key: string): void {
    const current = this.ctx.config.current;
    if (key === 'samplingIntervalMs' || key === 'telemetryIntervalMs' || key === 'aggregatePeriodMs') this.t.rearm(key);
    else if (key === 'anomalyThreshold') this.t.table.setThreshold(current.anomalyThreshold);
    else if (key === 'resolution') {
      this.t.sensors.setResolution(current.resolution);
      this.t.table.setResolution(current.resolution);
    }
    else if (key === 'displayMessage') this.t.screen.showConfiguredMessage();
  }

  /** Applies desired sensor settings; adds 'sensors/<ID>' to `result` for each change. */
  private configureSensors(value: unknown, source: string, replace: boolean, result: ApplyResult): void {
    const { settings, table } = this.t;
    const r = settings.apply(value, replace);
    for (const refusal of r.refused) result.refused.push(refusal);
    if (r.changed.length === 0) return;
    this.ctx.host.storage.set(SENSORS_KEY, settings.serialize());
    for (const { id, previousOffset } of r.changed) {
      const setting = settings.get(id);
      this.ctx.host.log.write('info', 'config', `sensor ${id} = ${JSON.stringify(setting ?? null)} (${source})`);
      result.applied.push(`sensors/${id}`);
      this.applySensorSetting(id, previousOffset);
    }
    this.t.screen.setSensors(table.readings(), (id) => table.stats(id));
  }

  /** Hands a sensor's setting to the source and brings the app's view of it up to date at once. */
  private applySensorSetting(id: string, previousOffset: number): void {
    const { sensors, settings } = this.t;
    if (!sensors.configureSensor) return;
    const reading = sensors.configureSensor(id, settings.get(id));
    if (reading === undefined) return;
    this.t.table.reconfigured(reading, settings.offset(id) - previousOffset);
  }

  /** At start: stored sensor settings and the resolution reach the source before the first scan. */
  applyStored(): void {
    const { sensors, settings } = this.t;
    for (const id of settings.ids()) sensors.configureSensor?.(id, settings.get(id));
    sensors.setResolution(this.ctx.config.current.resolution);
  }
}
