/**
 * DS18B20-family function commands addressed to one sensor (MATCH ROM): read, write and recall
 * the scratchpad, copy it to EEPROM. Source: DS18B20 datasheet (Maxim 19-7487), "DS18B20
 * Function Commands" (BEh, 4Eh, B8h, 48h). Each returns false when no device answered the reset.
 */
import type { OneWireBus } from '../platform';
import { readBytes, selectRom } from '../onewire/master';
import type { RomId } from '../onewire/rom';
import { FAMILY_DS18S20, SCRATCHPAD_BYTES } from './scratchpad';

export const WRITE_SCRATCHPAD = 0x4e;
export const READ_SCRATCHPAD = 0xbe;
export const COPY_SCRATCHPAD = 0x48;
export const RECALL_E2 = 0xb8;

/** EEPROM write time (datasheet tWR max 10 ms): the wait after 48h, and the strong pull-up for parasite sensors. */
export const COPY_SCRATCHPAD_MS = 10;

/** Read slots polled at most while an externally powered sensor recalls its EEPROM (it answers 0 while busy). */
const RECALL_POLLS = 100;

/** Reads the 9 scratchpad bytes into `into`. */
export function readScratchpad(bus: OneWireBus, rom: RomId, into: Uint8Array): boolean {
  if (!selectRom(bus, rom)) return false;
  bus.writeByte(READ_SCRATCHPAD);
  readBytes(bus, into, 0, SCRATCHPAD_BYTES);
  return true;
}

/** Writes TH, TL and (not on a DS18S20, which has no configuration register) the configuration byte. */
export function writeScratchpad(bus: OneWireBus, rom: RomId, family: number, th: number, tl: number, config: number): boolean {
  if (!selectRom(bus, rom)) return false;
  bus.writeByte(WRITE_SCRATCHPAD);
  bus.writeByte(th & 0xff);
  bus.writeByte(tl & 0xff);
  if (family !== FAMILY_DS18S20) bus.writeByte(config & 0xff);
  return true;
}

/** RECALL E2: TH, TL and configuration reload from EEPROM into the scratchpad (what a power-on does). */
export function recallEeprom(bus: OneWireBus, rom: RomId, parasite: boolean): boolean {
  if (!selectRom(bus, rom)) return false;
  bus.writeByte(RECALL_E2);
  let polls = 0;
  while (!parasite && bus.readBit() === 0 && polls++ < RECALL_POLLS);
  return true;
}

/**
 * COPY SCRATCHPAD to one sensor's EEPROM; a parasite-powered one gets the strong pull-up for
 * tWR. The caller must leave the bus alone for COPY_SCRATCHPAD_MS afterwards.
 */
export function copyScratchpad(bus: OneWireBus, rom: RomId, parasite: boolean): boolean {
  if (!selectRom(bus, rom)) return false;
  bus.writeByte(COPY_SCRATCHPAD);
  if (parasite) bus.strongPullup?.(COPY_SCRATCHPAD_MS);
  return true;
}
