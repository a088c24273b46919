/**
 * The shape shared by the twin's per-sensor settings (`sensors`, `alarms`): a desired value
 * `{ "<ROM id>": { ...fields } | null, ... }`, or null for "all back to defaults". This walks it
 * once for both: `$`-keys (twin metadata) skipped, keys that are not a 16-hex-digit ROM id and
 * entries that are not objects refused with their path, null entries cleared, and with `replace`
 * (a full desired document) every configured sensor the document no longer names cleared too.
 * What a field means is the caller's: `update` validates and stores one entry, or returns why not.
 */
import { isRomHex as isRomId } from '../onewire/rom';
import { describe, type Refusal } from './config';

/** Whether `key` is a DS18B20 ROM id as the twin writes it: 16 hex digits, any case (src/onewire/rom.ts isRomHex). */
export { isRomId };

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export interface PerSensorEntries {
  /** Configured ids (upper case). */
  ids(): string[];
  /** Back to defaults for `id` (upper case). */
  clear(id: string): void;
  /** Validates and stores `entry` for `id` (upper case); returns the reason when refused. */
  update(id: string, entry: Record<string, unknown>): string | undefined;
}

/** Applies the desired `property` value to `entries`; refusals are appended to `refused`. */
export function applyPerSensorMap(property: string, value: unknown, replace: boolean, entries: PerSensorEntries, refused: Refusal[]): void {
  if (value === null) {
    for (const id of entries.ids()) entries.clear(id);
    return;
  }
  if (!isObject(value)) {
    refused.push({ property, reason: `expected an object, got ${describe(value)}` });
    return;
  }
  const seen: string[] = [];
  for (const key of Object.keys(value)) {
    if (key.charAt(0) === '$') continue;
    const path = `${property}/${key}`;
    if (!isRomId(key)) {
      refused.push({ property: path, reason: 'not a ROM id (16 hex digits)' });
      continue;
    }
    const id = key.toUpperCase();
    seen.push(id);
    const entry = value[key];
    if (entry === null) {
      entries.clear(id);
      continue;
    }
    if (!isObject(entry)) {
      refused.push({ property: path, reason: `expected an object or null, got ${describe(entry)}` });
      continue;
    }
    const reason = entries.update(id, entry);
    if (reason !== undefined) refused.push({ property: path, reason });
  }
  if (replace) for (const id of entries.ids()) if (seen.indexOf(id) < 0) entries.clear(id);
}
