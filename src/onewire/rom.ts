/**
 * 1-Wire ROM ids (64-bit registration numbers).
 *
 * Canonical order: bus order, i.e. the order the bytes travel on the wire (least significant
 * byte first): family code first, then the 48-bit serial (least significant byte first), then
 * the CRC. The hex form is those 8 bytes as 16 upper-case hex digits, e.g. "28FF64D1A0160318"
 * is family 28h, serial bytes FF 64 D1 A0 16 03, CRC 18h. This is the order ROM search and
 * READ ROM deliver and MATCH ROM expects, so no byte is ever reversed.
 */
import { crc8 } from './crc8';

export type RomId = Uint8Array;

export const ROM_BYTES = 8;

const HEX = '0123456789ABCDEF';

export function romToHex(rom: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < ROM_BYTES; i++) out += HEX[(rom[i] >> 4) & 15] + HEX[rom[i] & 15];
  return out;
}

/** Parses 16 hex digits (either case). Throws on a malformed string or a bad CRC. */
export function romFromHex(hex: string): RomId {
  if (!isRomHex(hex)) throw new Error(`ROM id must be 16 hex digits: "${hex}"`);
  const rom = new Uint8Array(ROM_BYTES);
  for (let i = 0; i < ROM_BYTES; i++) rom[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  if (!romCrcValid(rom)) throw new Error(`ROM id ${hex.toUpperCase()} has a bad CRC`);
  return rom;
}

/** True when byte 7 is the CRC8 of bytes 0..6 (and the ROM is not all zeros, which passes CRC). */
export function romCrcValid(rom: ArrayLike<number>): boolean {
  if (rom.length < ROM_BYTES) return false;
  let any = 0;
  for (let i = 0; i < ROM_BYTES; i++) any |= rom[i];
  return any !== 0 && crc8(rom, 0, 7) === rom[7];
}

export function familyCode(rom: ArrayLike<number>): number {
  return rom[0];
}

/** Builds a ROM id from a family code and 6 serial bytes (bus order), appending the CRC. */
export function makeRom(family: number, serial: ArrayLike<number>): RomId {
  const rom = new Uint8Array(ROM_BYTES);
  rom[0] = family & 0xff;
  for (let i = 0; i < 6; i++) rom[1 + i] = serial[i] & 0xff;
  rom[7] = crc8(rom, 0, 7);
  return rom;
}

/** Bit `index` (0..63) of a ROM in bus order: bit 0 is the LSB of byte 0. */
export function romBit(rom: ArrayLike<number>, index: number): 0 | 1 {
  return ((rom[index >> 3] >> (index & 7)) & 1) as 0 | 1;
}

/**
 * Whether `text` is 16 hex digits, either case: a ROM id as romToHex and the twin write it. A loop,
 * not a RegExp: in mcsim (SDK 8.2.3) a preloaded RegExp's exec segfaulted now and then in
 * fx_RegExp_prototype_exec (xsRegExp.c:564, building the match result) while the twin's sensor
 * keys were checked (issue 11).
 */
export function isRomHex(text: string): boolean {
  if (text.length !== 16) return false;
  for (let i = 0; i < 16; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
