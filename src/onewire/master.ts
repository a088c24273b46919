/**
 * Addressing helpers over a OneWireBus: READ ROM, MATCH ROM, SKIP ROM and block transfers.
 * Stateless functions over the bus, so a driver composes them without extra objects.
 */
import type { OneWireBus } from '../platform';
import { MATCH_ROM, READ_ROM, SKIP_ROM } from './commands';
import { ROM_BYTES, romCrcValid, type RomId } from './rom';

/** Reset + MATCH ROM (55h) + the 8 id bytes: only `rom` listens to the next command. */
export function selectRom(bus: OneWireBus, rom: ArrayLike<number>): boolean {
  if (!bus.reset()) return false;
  bus.writeByte(MATCH_ROM);
  for (let i = 0; i < ROM_BYTES; i++) bus.writeByte(rom[i]);
  return true;
}

/** Reset + SKIP ROM (CCh): every device listens to the next command. */
export function skipRom(bus: OneWireBus): boolean {
  if (!bus.reset()) return false;
  bus.writeByte(SKIP_ROM);
  return true;
}

/**
 * Reset + READ ROM (33h): the id of the only device on the bus. With several devices the
 * answers collide (wired-AND) and the CRC fails: returns undefined then, or with no presence.
 */
export function readRom(bus: OneWireBus): RomId | undefined {
  if (!bus.reset()) return undefined;
  bus.writeByte(READ_ROM);
  const rom = new Uint8Array(ROM_BYTES);
  readBytes(bus, rom, 0, ROM_BYTES);
  return romCrcValid(rom) ? rom : undefined;
}

export function readBytes(bus: OneWireBus, into: Uint8Array, start: number, length: number): void {
  for (let i = 0; i < length; i++) into[start + i] = bus.readByte() & 0xff;
}

export function writeBytes(bus: OneWireBus, bytes: ArrayLike<number>, start = 0, length = bytes.length - start): void {
  for (let i = 0; i < length; i++) bus.writeByte(bytes[start + i]);
}
