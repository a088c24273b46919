/**
 * Per-sensor settings by ROM id: a friendly name and a calibration offset (°C), set through the
 * twin's desired `sensors: { "<ROM id>": { name, offset } }` and kept in Storage.
 *
 * Each entry is validated on its own: a bad entry is refused with a reason and its old value
 * kept, the others still apply. `null` for an entry or a field restores the default (the
 * discovery name, offset 0). A patch merges into the current entries; a complete desired
 * document (`replace`) is the whole truth, so entries it no longer holds return to defaults.
 * Ids are compared case-insensitively (the driver writes upper-case hex).
 */
import { describe, type Refusal } from './config';
import { applyPerSensorMap, isObject } from './per-sensor-map';

export interface SensorSetting {
  name?: string;
  offset?: number;
}

export interface SensorSettingsResult {
  /** Ids (upper case) whose effective setting changed, with the offset before the change. */
  changed: { id: string; previousOffset: number }[];
  /** Refusals at paths `sensors` or `sensors/<key as given>`. */
  refused: Refusal[];
}

/**
 * Sensors that can have a name or offset: a full bus of 24. All settings are one stored value,
 * and 24 entries of the longest form (16-character id, 24 four-byte characters, an offset) are
 * about 3,500 bytes: within one NVS string value (3,999 bytes, hosts/moddable/storage-limits.ts).
 */
export const MAX_SENSOR_SETTINGS = 24;
export const MAX_SENSOR_NAME_CHARS = 24;
export const MAX_SENSOR_OFFSET = 5;

/**
 * C0 and C1 controls, DEL, line/paragraph separators and lone surrogates are not printable. A
 * loop over code points (a surrogate pair is one, a lone surrogate one of its own, on V8 and on
 * Moddable's XS alike), not a RegExp: see src/onewire/rom.ts isRomHex.
 */
function hasUnprintable(value: string): boolean {
  for (const ch of value) {
    const c = ch.codePointAt(0) as number;
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

/** Checks a sensor name; returns the reason it is invalid, or undefined. */
export function validateSensorName(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a string, got ${describe(value)}`;
  if (value.trim() === '') return 'empty';
  if (hasUnprintable(value)) return 'contains a control or unprintable character';
  // Code points, not UTF-16 units; the cheap length check first bounds the work.
  if (value.length > 2 * MAX_SENSOR_NAME_CHARS || Array.from(value).length > MAX_SENSOR_NAME_CHARS) return `longer than ${MAX_SENSOR_NAME_CHARS} characters`;
  return undefined;
}

/** Checks a calibration offset; returns the reason it is invalid, or undefined. */
export function validateSensorOffset(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `expected a number, got ${describe(value)}`;
  if (Math.abs(value) > MAX_SENSOR_OFFSET) return `${value} is outside ±${MAX_SENSOR_OFFSET} °C`;
  return undefined;
}

function same(a: SensorSetting | undefined, b: SensorSetting | undefined): boolean {
  return (a?.name ?? undefined) === (b?.name ?? undefined) && (a?.offset ?? 0) === (b?.offset ?? 0);
}

export class SensorSettings {
  private readonly entries = new Map<string, SensorSetting>();

  /** The setting of a sensor (any case), or undefined when it has none. */
  get(id: string): Readonly<SensorSetting> | undefined {
    return this.entries.get(id.toUpperCase());
  }

  /** Effective offset of a sensor (0 by default). */
  offset(id: string): number {
    return this.get(id)?.offset ?? 0;
  }

  /** Configured ids (upper case), in the order they were first set. */
  ids(): string[] {
    return Array.from(this.entries.keys());
  }

  /** Applies the desired `sensors` value (per-sensor-map.ts walks it). */
  apply(value: unknown, replace = false): SensorSettingsResult {
    const result: SensorSettingsResult = { changed: [], refused: [] };
    applyPerSensorMap('sensors', value, replace, {
      ids: () => this.ids(),
      clear: (id) => this.set(id, undefined, result),
      update: (id, entry) => {
        const merged = this.merge(id, entry, replace);
        if (typeof merged === 'string') return merged;
        this.set(id, merged, result);
        return undefined;
      },
    }, result.refused);
    return result;
  }

  /** `entry` merged into the sensor's setting (or a fresh one with `replace`), or why it is refused. */
  private merge(id: string, entry: Record<string, unknown>, replace: boolean): SensorSetting | string {
    const next: SensorSetting = replace ? {} : { ...this.entries.get(id) };
    let reason: string | undefined;
    for (const field of Object.keys(entry)) {
      if (field.charAt(0) === '$') continue;
      const v = entry[field];
      if (field === 'name') {
        const why = v === null ? undefined : validateSensorName(v);
        if (why !== undefined) reason = `name: ${why}`;
        else if (v === null) delete next.name;
        else next.name = v as string;
      } else if (field === 'offset') {
        const why = v === null ? undefined : validateSensorOffset(v);
        if (why !== undefined) reason = `offset: ${why}`;
        else if (v === null || v === 0) delete next.offset;
        else next.offset = v as number;
      } else reason = `unknown field '${field}' (expected name, offset)`;
      if (reason !== undefined) break;
    }
    if (reason === undefined && !this.entries.has(id) && this.entries.size >= MAX_SENSOR_SETTINGS && (next.name !== undefined || next.offset !== undefined)) {
      reason = `at most ${MAX_SENSOR_SETTINGS} sensors can be configured`;
    }
    return reason ?? next;
  }

  private set(id: string, setting: SensorSetting | undefined, result: SensorSettingsResult): void {
    const before = this.entries.get(id);
    const empty = setting === undefined || (setting.name === undefined && setting.offset === undefined);
    if (empty) this.entries.delete(id);
    else this.entries.set(id, setting);
    if (!same(before, empty ? undefined : setting)) result.changed.push({ id, previousOffset: before?.offset ?? 0 });
  }

  /** Compact JSON for Storage: {"<ID>":{"n":"Kitchen","o":-0.25}} (bounded by the limits above). */
  serialize(): string {
    const out: Record<string, { n?: string; o?: number }> = {};
    this.entries.forEach((s, id) => {
      const e: { n?: string; o?: number } = {};
      if (s.name !== undefined) e.n = s.name;
      if (s.offset !== undefined) e.o = s.offset;
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
      const entry: Record<string, unknown> = {};
      if (e.n !== undefined) entry.name = e.n;
      if (e.o !== undefined) entry.offset = e.o;
      desired[id] = entry;
    }
    this.apply(desired);
  }
}
