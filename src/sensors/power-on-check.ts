/**
 * Telling a real 85.0 °C from the DS18B20's power-on value, on genuine parts and on clones.
 *
 * What it relies on (DS18B20 datasheet, Maxim 19-7487 Rev 6): the temperature register powers up
 * at +85 °C (0550h; "Memory" and "Table 1: Temperature/Data Relationship" note), and at power-up
 * the EEPROM is reloaded into the scratchpad's TH, TL and configuration bytes ("Configuration
 * Register", "Memory": "data in the EEPROM registers is retained when the device is powered
 * down; at power-up the EEPROM data is reloaded into the corresponding scratchpad locations").
 * So: recall the EEPROM (B8h) to learn its TH, write a TH that differs from it into the
 * scratchpad only (no copy), convert again and read. TH still at the mark: no reset happened
 * during that conversion, so its value is real, 85.0 °C included; TH back at the EEPROM value:
 * the sensor reset, and its 85.0 °C is the power-on value. The scratchpad is restored after.
 *
 * What it does not rely on: the reserved bytes 5..7. Maxim documents only their power-on values
 * (FFh, 0Ch, 10h); genuine parts also rewrite byte 6 on every conversion, but clones keep fixed
 * values there (cpetrich/counterfeit_DS18B20, "Scratchpad byte 6 (0x0C): unexpected value"), so a
 * clone at a real 85 °C looks exactly like a reset one. A sensor whose TH ignores writes cannot
 * be checked this way: its repeated 85.0 °C stays a fault (never passed off as a reading).
 * Some clones do not power up at 85 °C at all but return their previous value; for those a reset
 * shows only as TH, TL and configuration back at their EEPROM values (the resolution check in
 * device/adapters/sensors re-applies the setting).
 */
import type { OneWireBus } from '../platform';
import type { RomId } from '../onewire/rom';
import { readScratchpad, recallEeprom, writeScratchpad } from './scratchpad-io';
import { scratchpadIntact } from './scratchpad';

/** A suspect's scratchpad as it was, and the TH mark written in its place. */
export interface PowerOnMark {
  th: number;
  tl: number;
  config: number;
  /** TH written to the scratchpad: the EEPROM's TH with bit 0 flipped, so never equal to it. */
  mark: number;
}

/** The sensor fields the check needs. */
export interface MarkTarget {
  rom: RomId;
  family: number;
  parasite: boolean;
}

/** Marks a sensor's scratchpad TH before the confirming conversion; returns why it cannot, as text. */
export function markScratchpad(bus: OneWireBus, s: MarkTarget, sp: Uint8Array): PowerOnMark | string {
  if (!readScratchpad(bus, s.rom, sp) || !scratchpadIntact(sp)) return 'the scratchpad cannot be read';
  const before = { th: sp[2], tl: sp[3], config: sp[4] };
  if (!recallEeprom(bus, s.rom, s.parasite) || !readScratchpad(bus, s.rom, sp) || !scratchpadIntact(sp)) return 'the EEPROM cannot be recalled';
  const mark = sp[2] ^ 0x01;
  if (!writeScratchpad(bus, s.rom, s.family, mark, before.tl, before.config)) return 'no presence';
  if (!readScratchpad(bus, s.rom, sp) || !scratchpadIntact(sp) || sp[2] !== mark) return 'TH ignores writes';
  return { th: before.th, tl: before.tl, config: before.config, mark };
}

/** Whether the scratchpad read after the confirming conversion shows a reset (TH no longer at the mark). */
export function resetSinceMark(mark: PowerOnMark, sp: ArrayLike<number>): boolean {
  return sp[2] !== mark.mark;
}

/** Puts TH, TL and configuration back as they were before the mark. */
export function unmark(bus: OneWireBus, s: MarkTarget, mark: PowerOnMark): boolean {
  return writeScratchpad(bus, s.rom, s.family, mark.th, mark.tl, mark.config);
}
