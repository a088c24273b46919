/**
 * The device's limit alarms: the `alarms` settings (twin, Storage) and one LimitAlarm per
 * configured sensor, fed every sampling round. A start or end is handed to `onChange` once; an
 * alarm ends with reason 'missing' or 'faulty' when its sensor stops giving values, and with
 * 'reconfigured' when its limit is removed.
 */
import { LimitAlarm, type LimitSide } from '../analytics/limit-alarm';
import type { AlarmChange } from './alarm-message';
import { AlarmSettings, MAX_ALARM_SETTINGS } from './alarm-settings';
import type { ApplyResult } from './config';
import type { SensorReading } from './ports';
import type { SampleEvent } from './sampling';
import type { Storage } from '../platform';

/** Storage key of the alarm settings (AlarmSettings.serialize: at most 8 entries, well under 1 KB). */
export const ALARMS_KEY = 'alarms';

export type AlarmHandler = (reading: SensorReading, change: AlarmChange) => void;

export class LimitAlarms {
  readonly settings = new AlarmSettings();
  private readonly alarms = new Map<string, LimitAlarm>();
  private readonly storage: Storage;
  private readonly last = new Map<string, SensorReading>();
  /** Ids whose setting was removed (at most MAX_ALARM_SETTINGS, newest last). */
  private readonly removed: string[] = [];

  constructor(storage: Storage) {
    this.storage = storage;
    this.settings.restore(storage.get(ALARMS_KEY));
    for (const id of this.settings.ids()) this.sync(id, undefined);
  }

  /** Applies desired `alarms`; adds 'alarms/<ID>' to `result` for each change, refusals too. */
  configure(value: unknown, replace: boolean, result: ApplyResult, onChange: AlarmHandler): string[] {
    const r = this.settings.apply(value, replace);
    for (const refusal of r.refused) result.refused.push(refusal);
    if (r.changed.length === 0) return r.changed;
    this.storage.set(ALARMS_KEY, this.settings.serialize());
    for (const id of r.changed) {
      result.applied.push(`alarms/${id}`);
      this.sync(id, onChange);
    }
    return r.changed;
  }

  private sync(id: string, onChange: AlarmHandler | undefined): void {
    const s = this.settings.get(id);
    let alarm = this.alarms.get(id);
    if (s === undefined) {
      if (this.removed.indexOf(id) < 0) {
        this.removed.push(id);
        if (this.removed.length > MAX_ALARM_SETTINGS) this.removed.shift();
      }
      if (alarm === undefined) return;
      const side = alarm.side;
      if (alarm.configure(NaN, NaN, 0, 0) === 'end') this.report(id, alarm, side, onChange);
      this.alarms.delete(id);
      return;
    }
    const gone = this.removed.indexOf(id);
    if (gone >= 0) this.removed.splice(gone, 1);
    if (alarm === undefined) {
      alarm = new LimitAlarm();
      this.alarms.set(id, alarm);
    }
    const side = alarm.side;
    if (alarm.configure(s.high ?? NaN, s.low ?? NaN, s.hysteresis, s.holdMs) === 'end') this.report(id, alarm, side, onChange);
  }

  private report(id: string, alarm: LimitAlarm, side: LimitSide | undefined, onChange: AlarmHandler | undefined): void {
    const reading = this.last.get(id);
    const setting = this.settings.get(id) ?? { hysteresis: 0, holdMs: 0 };
    if (onChange && reading && side) onChange(reading, { side, state: 'end', reason: alarm.endReason, setting });
  }

  /** One sampling round: every configured sensor's value (or its absence) goes to its alarm. */
  update(readings: SensorReading[], now: number, onChange: AlarmHandler): void {
    for (const r of readings) {
      const id = r.id.toUpperCase();
      const alarm = this.alarms.get(id);
      if (alarm === undefined) continue;
      this.last.set(id, r);
      const setting = this.settings.get(id);
      if (setting === undefined) continue;
      let event;
      if (r.status === 'online' && r.value !== undefined && Number.isFinite(r.value)) event = alarm.push(r.value, now);
      else event = alarm.interrupt(r.status === 'faulty' ? 'faulty' : 'missing');
      if (event === 'none' || alarm.side === undefined) continue;
      onChange(r, { side: alarm.side, state: event, reason: event === 'end' ? alarm.endReason : undefined, setting });
    }
  }

  /**
   * The reported `alarms`: every setting, and null for the last few removed since start (IoT Hub
   * merges reported patches, so a removed key must be sent as null).
   */
  reported(): Record<string, unknown> {
    const out = this.settings.reported();
    for (const id of this.removed) if (!Object.prototype.hasOwnProperty.call(out, id)) out[id] = null;
    return out;
  }

  /** The side of a sensor's active alarm, or undefined. */
  active(id: string): LimitSide | undefined {
    const a = this.alarms.get(id.toUpperCase());
    return a && a.active ? a.side : undefined;
  }

  /** Wraps a round observer so each SampleEvent carries the sensors' alarms and limits. */
  observer(observe: (sample: SampleEvent) => void): (sample: SampleEvent) => void {
    return (e) => {
      const byId: NonNullable<SampleEvent['alarms']> = {};
      for (const { reading } of e.sensors) {
        const limits = this.limits(reading.id);
        if (limits) byId[reading.id] = { active: this.active(reading.id) ?? null, high: limits.high, low: limits.low };
      }
      observe({ ...e, alarms: byId });
    };
  }

  /** A sensor's limits for display (undefined without a setting). */
  limits(id: string): { high: number | null; low: number | null } | undefined {
    const s = this.settings.get(id);
    return s ? { high: s.high ?? null, low: s.low ?? null } : undefined;
  }
}
