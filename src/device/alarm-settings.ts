/**
 * Per-sensor limit alarm settings by ROM id, set through the twin's desired
 * `alarms: { "<ROM id>": { high, low, hysteresis, holdMs } }` and kept in Storage (key `alarms`).
 *
 * - `high`, `low`: °C within the DS18B20's range -55..125; either may be absent or null (none).
 *   With both, `low` must lie below `high` by more than twice the hysteresis, so the two alarms
 *   cannot hold at once.
 * - `hysteresis`: °C, 0..10, default 0.5. `holdMs`: integer ms, 0..86,400,000, default 60,000.
 * Each entry is checked on its own: an invalid one (bad field, unknown field, not a ROM id, more
 * than 8 entries) is refused with a reason at `alarms/<id>` and keeps its old value while the
 * others apply. `null` for an entry removes it. A patch merges; a complete desired document
 * (`replace`) is the whole truth. Ids compare case-insensitively.
 */
import { describe, type Refusal } from './config';
import { applyPerSensorMap, isObject } from './per-sensor-map';

export interface AlarmSetting {
  high?: number;
  low?: number;
  hysteresis: number;
  holdMs: number;
}

export interface AlarmSettingsResult {
  /** Ids (upper case) whose setting changed. */
  changed: string[];
  refused: Refusal[];
}

export const MAX_ALARM_SETTINGS = 8;
export const DEFAULT_HYSTERESIS = 0.5;
export const DEFAULT_HOLD_MS = 60_000;
const MIN_C = -55;
const MAX_C = 125;
const MAX_HYSTERESIS = 10;
const MAX_HOLD_MS = 86_400_000;
const FIELDS = 'high, low, hysteresis, holdMs';

function checkNumber(field: string, v: unknown, min: number, max: number, integer: boolean): string | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return `${field}: expected a number, got ${describe(v)}`;
  if (integer && !Number.isInteger(v)) return `${field}: expected an integer, got ${v}`;
  if (v < min || v > max) return `${field}: ${v} is outside ${min}..${max}`;
  return undefined;
}

/** Merges `entry` into `base`; returns the new setting or the reason it is refused. */
export function mergeAlarmSetting(base: AlarmSetting | undefined, entry: Record<string, unknown>): AlarmSetting | string {
  const next: AlarmSetting = base ? { ...base } : { hysteresis: DEFAULT_HYSTERESIS, holdMs: DEFAULT_HOLD_MS };
  for (const field of Object.keys(entry)) {
    if (field.charAt(0) === '$') continue;
    const v = entry[field];
    let why: string | undefined;
    if (field === 'high' || field === 'low') {
      if (v === null) delete next[field];
      else if ((why = checkNumber(field, v, MIN_C, MAX_C, false)) === undefined) next[field] = v as number;
    } else if (field === 'hysteresis') {
      if (v === null) next.hysteresis = DEFAULT_HYSTERESIS;
      else if ((why = checkNumber(field, v, 0, MAX_HYSTERESIS, false)) === undefined) next.hysteresis = v as number;
    } else if (field === 'holdMs') {
      if (v === null) next.holdMs = DEFAULT_HOLD_MS;
      else if ((why = checkNumber(field, v, 0, MAX_HOLD_MS, true)) === undefined) next.holdMs = v as number;
    } else why = `unknown field '${field}' (expected ${FIELDS})`;
    if (why !== undefined) return why;
  }
  if (next.high !== undefined && next.low !== undefined && !(next.high - next.low > 2 * next.hysteresis)) {
    return `low (${next.low}) must be below high (${next.high}) by more than twice the hysteresis (${next.hysteresis})`;
  }
  return next;
}

function same(a: AlarmSetting | undefined, b: AlarmSetting | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.high === b.high && a.low === b.low && a.hysteresis === b.hysteresis && a.holdMs === b.holdMs;
}

export class AlarmSettings {
  private readonly entries = new Map<string, AlarmSetting>();

  get(id: string): Readonly<AlarmSetting> | undefined {
    return this.entries.get(id.toUpperCase());
  }

  ids(): string[] {
    return Array.from(this.entries.keys());
  }

  /** Applies the desired `alarms` value (per-sensor-map.ts walks it). */
  apply(value: unknown, replace = false): AlarmSettingsResult {
    const result: AlarmSettingsResult = { changed: [], refused: [] };
    applyPerSensorMap('alarms', value, replace, {
      ids: () => this.ids(),
      clear: (id) => this.set(id, undefined, result),
      update: (id, entry) => {
        const merged = mergeAlarmSetting(replace ? undefined : this.entries.get(id), entry);
        if (typeof merged === 'string') return merged;
        if (!this.entries.has(id) && this.entries.size >= MAX_ALARM_SETTINGS) return `at most ${MAX_ALARM_SETTINGS} sensors can have alarms`;
        this.set(id, merged, result);
        return undefined;
      },
    }, result.refused);
    return result;
  }

  private set(id: string, setting: AlarmSetting | undefined, result: AlarmSettingsResult): void {
    const before = this.entries.get(id);
    const empty = setting === undefined || (setting.high === undefined && setting.low === undefined);
    if (empty) this.entries.delete(id);
    else this.entries.set(id, setting);
    if (!same(before, empty ? undefined : setting)) result.changed.push(id);
  }

  /** The reported view: { "<ID>": { high, low, hysteresis, holdMs } } (absent limits null). */
  reported(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.entries.forEach((s, id) => {
      out[id] = { high: s.high ?? null, low: s.low ?? null, hysteresis: s.hysteresis, holdMs: s.holdMs };
    });
    return out;
  }

  /** Compact JSON for Storage: {"<ID>":{"h":30,"l":5,"y":0.5,"t":60000}} (at most 8 entries). */
  serialize(): string {
    const out: Record<string, { h?: number; l?: number; y: number; t: number }> = {};
    this.entries.forEach((s, id) => {
      const e: { h?: number; l?: number; y: number; t: number } = { y: s.hysteresis, t: s.holdMs };
      if (s.high !== undefined) e.h = s.high;
      if (s.low !== undefined) e.l = s.low;
      out[id] = e;
    });
    return JSON.stringify(out);
  }

  /** Restores serialized settings; invalid entries and corrupt content are skipped. */
  restore(text: string | undefined): void {
    if (text === undefined) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    if (!isObject(parsed)) return;
    const desired: Record<string, unknown> = {};
    for (const id of Object.keys(parsed)) {
      const e = parsed[id];
      if (!isObject(e)) continue;
      const entry: Record<string, unknown> = { hysteresis: e.y, holdMs: e.t };
      if (e.h !== undefined) entry.high = e.h;
      if (e.l !== undefined) entry.low = e.l;
      desired[id] = entry;
    }
    this.apply(desired);
  }
}
