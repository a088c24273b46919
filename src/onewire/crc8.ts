/**
 * Dallas/Maxim CRC8 (polynomial x^8 + x^5 + x^4 + 1, reflected: 0x8C), as used by 1-Wire ROM
 * codes and DS18B20 scratchpads. Running the CRC over data followed by its CRC byte yields 0.
 */

function buildTable(): readonly number[] {
  const table: number[] = [];
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x8c : crc >>> 1;
    table.push(crc);
  }
  return Object.freeze(table);
}

/** Byte-wise lookup table; frozen, so XS can keep it in flash. */
const TABLE = buildTable();

/** CRC8 of `length` bytes of `bytes` starting at `start`. */
export function crc8(bytes: ArrayLike<number>, start = 0, length = bytes.length - start): number {
  let crc = 0;
  const end = start + length;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff];
  return crc;
}

/** The same CRC computed bit by bit, exactly as the devices do it (used to cross-check the table). */
export function crc8Bitwise(bytes: ArrayLike<number>, start = 0, length = bytes.length - start): number {
  let crc = 0;
  for (let i = start; i < start + length; i++) {
    let byte = bytes[i] & 0xff;
    for (let bit = 0; bit < 8; bit++) {
      const mix = (crc ^ byte) & 1;
      crc >>>= 1;
      if (mix) crc ^= 0x8c;
      byte >>>= 1;
    }
  }
  return crc;
}
