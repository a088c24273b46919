/**
 * Applying resolution and alarm limits to one DS18B20-family sensor, with the EEPROM written
 * only when what it stores differs (EEPROM endurance is finite: the datasheet rates NV writes at
 * 50k minimum at 55 °C, "NV Write Cycles"; re-applying a setting after every power-on must not
 * wear it). Source: DS18B20 datasheet (Maxim 19-7487), "Configuration Register", "Function
 * Commands" (4Eh, BEh, B8h, 48h).
 *
 *   1. read the scratchpad (current TH, TL, configuration);
 *   2. with `persist`: RECALL E2 and read again: that is what the EEPROM holds; if it already
 *      holds the setting, the recall has put it into the scratchpad too and nothing is written;
 *      without: a scratchpad that holds the setting is left alone;
 *   3. otherwise write the scratchpad (4Eh) and read it back: a configuration byte that does
 *      not read back as written (clones whose register stays 7Fh) is refused with the value
 *      read, and the sensor's resolution is what it reads;
 *   4. with `persist` the caller copies the scratchpad to EEPROM (48h).
 */
import type { OneWireBus } from '../platform';
import type { RomId } from '../onewire/rom';
import { FAMILY_DS18S20, scratchpadIntact, scratchpadResolution } from './scratchpad';
import { readScratchpad, recallEeprom, writeScratchpad } from './scratchpad-io';
import { configForResolution, type Resolution } from './temperature';

export interface SensorSettingsWanted {
  resolution?: Resolution;
  /** Alarm limits, whole °C (signed). */
  alarmHigh?: number;
  alarmLow?: number;
}

/** The sensor fields applying needs; `resolution` is updated to what the sensor reads back. */
export interface ConfigTarget {
  id: string;
  rom: RomId;
  family: number;
  parasite: boolean;
  resolution: Resolution;
}

export type ApplyOutcome =
  /** Already held (in the scratchpad, and with persist in EEPROM): nothing written. */
  | { kind: 'unchanged' }
  /** Written to the scratchpad and read back; `copy`: the EEPROM differs and needs 48h. */
  | { kind: 'written'; copy: boolean }
  /** The sensor does not take the setting (read-back differs); `reason` says what it reads. */
  | { kind: 'refused'; reason: string }
  /** A bus problem (no presence, unreadable scratchpad): try again later. */
  | { kind: 'failed'; reason: string };

function hex2(v: number): string {
  return (v & 0xff).toString(16).toUpperCase().padStart(2, '0');
}

/** Applies `wanted` to sensor `s`; `sp` is a 9-byte scratch buffer. */
export function applySettings(bus: OneWireBus, s: ConfigTarget, wanted: SensorSettingsWanted, persist: boolean, sp: Uint8Array): ApplyOutcome {
  const ds18s20 = s.family === FAMILY_DS18S20;
  if (ds18s20 && wanted.resolution !== undefined && wanted.resolution !== 9) return { kind: 'refused', reason: 'DS18S20 has a fixed 9-bit resolution' };
  if (!readScratchpad(bus, s.rom, sp) || !scratchpadIntact(sp)) return { kind: 'failed', reason: 'cannot read the scratchpad' };
  const th = wanted.alarmHigh !== undefined ? wanted.alarmHigh & 0xff : sp[2];
  const tl = wanted.alarmLow !== undefined ? wanted.alarmLow & 0xff : sp[3];
  const config = wanted.resolution !== undefined ? configForResolution(wanted.resolution) : sp[4];
  const holds = (): boolean => sp[2] === th && sp[3] === tl && (ds18s20 || (sp[4] & 0x60) === (config & 0x60));
  if (persist) {
    if (!recallEeprom(bus, s.rom, s.parasite) || !readScratchpad(bus, s.rom, sp) || !scratchpadIntact(sp)) return { kind: 'failed', reason: 'cannot recall the EEPROM' };
  }
  if (holds()) {
    s.resolution = scratchpadResolution(s.family, sp);
    return { kind: 'unchanged' };
  }
  if (!writeScratchpad(bus, s.rom, s.family, th, tl, config)) return { kind: 'failed', reason: 'no presence' };
  if (!readScratchpad(bus, s.rom, sp) || !scratchpadIntact(sp)) return { kind: 'failed', reason: 'cannot read the scratchpad back' };
  s.resolution = scratchpadResolution(s.family, sp);
  if (sp[2] !== th || sp[3] !== tl) return { kind: 'refused', reason: `TH/TL read back ${hex2(sp[2])}h/${hex2(sp[3])}h after writing ${hex2(th)}h/${hex2(tl)}h` };
  if (!ds18s20 && (sp[4] & 0x60) !== (config & 0x60)) {
    return { kind: 'refused', reason: `the configuration register ignores writes: wrote ${hex2(config)}h, reads ${hex2(sp[4])}h (${s.resolution} bits)` };
  }
  return { kind: 'written', copy: persist };
}
