/**
 * DS18B20-family scratchpad layout and validation. A scratchpad is 9 bytes:
 * temp LSB, temp MSB, TH, TL, config (DS18S20: reserved FFh), reserved, reserved / COUNT_REMAIN,
 * reserved / COUNT_PER_C, CRC. Validation decides whether the bytes may become a reading.
 */
import { crc8 } from '../onewire/crc8';
import { decodeDs18s20, decodeTemperature, MAX_CELSIUS, MIN_CELSIUS, resolutionFromConfig, type Resolution } from './temperature';

export const SCRATCHPAD_BYTES = 9;

export const FAMILY_DS18S20 = 0x10;
export const FAMILY_DS1822 = 0x22;
export const FAMILY_DS18B20 = 0x28;

/** Why a scratchpad (or a sensor) gave no reading. */
export type FaultReason =
  /** CRC mismatch (noise, a bad contact). */
  | 'crc'
  /** All nine bytes 0: passes the CRC but is never a real scratchpad (a shorted data line). */
  | 'all-zero'
  /** All nine bytes FFh: nobody drove the bus (the sensor is gone). */
  | 'no-response'
  /** The 85.0 °C power-on value, not confirmed by a fresh conversion. */
  | 'power-on-85'
  | 'out-of-range'
  /** Still converting long after tCONV. */
  | 'slow-conversion'
  /** Reset saw no presence and the line reads low: the bus is shorted. */
  | 'bus-short'
  /** Reset saw no presence pulse at all. */
  | 'no-presence'
  | 'unsupported-family'
  /** Parasite-powered on a bus that has no strong pull-up: it cannot convert. */
  | 'parasite-unsupported';

export type ScratchpadCheck =
  | { ok: true; celsius: number; resolution: Resolution; powerOn85: boolean }
  | { ok: false; reason: FaultReason; detail: string };

export function isSupportedFamily(family: number): boolean {
  return family === FAMILY_DS18B20 || family === FAMILY_DS1822 || family === FAMILY_DS18S20;
}

export function familyName(family: number): string {
  if (family === FAMILY_DS18B20) return 'DS18B20';
  if (family === FAMILY_DS1822) return 'DS1822';
  if (family === FAMILY_DS18S20) return 'DS18S20';
  return `family ${family.toString(16).toUpperCase().padStart(2, '0')}h`;
}

/** The resolution a scratchpad's config byte selects (DS18S20: always 9 bits). */
export function scratchpadResolution(family: number, sp: ArrayLike<number>): Resolution {
  return family === FAMILY_DS18S20 ? 9 : resolutionFromConfig(sp[4]);
}

/**
 * Checks 9 scratchpad bytes from a sensor of `family`. `powerOn85` flags the 85.0 °C value
 * (register 0550h; DS18S20: 00AAh), which the caller must confirm with a fresh conversion
 * (./power-on-check; the reserved bytes 5..7 are not used: clones differ there).
 */
export function checkScratchpad(family: number, sp: ArrayLike<number>): ScratchpadCheck {
  let and = 0xff;
  let or = 0;
  for (let i = 0; i < SCRATCHPAD_BYTES; i++) {
    and &= sp[i];
    or |= sp[i];
  }
  if (and === 0xff) return { ok: false, reason: 'no-response', detail: 'scratchpad reads all FFh' };
  if (or === 0) return { ok: false, reason: 'all-zero', detail: 'scratchpad reads all 00h' };
  const crc = crc8(sp, 0, 8);
  if (crc !== sp[8]) {
    return { ok: false, reason: 'crc', detail: `CRC ${hex2(sp[8])}h, computed ${hex2(crc)}h` };
  }
  let celsius: number | undefined;
  let resolution: Resolution;
  let powerOn85: boolean;
  if (family === FAMILY_DS18S20) {
    resolution = 9;
    celsius = decodeDs18s20(sp[0], sp[1], sp[6], sp[7]);
    if (celsius === undefined) return { ok: false, reason: 'crc', detail: 'COUNT_PER_C is 0' };
    powerOn85 = sp[0] === 0xaa && sp[1] === 0x00;
    if (powerOn85) celsius = 85;
  } else {
    resolution = resolutionFromConfig(sp[4]);
    celsius = decodeTemperature(sp[0], sp[1], resolution);
    powerOn85 = sp[0] === 0x50 && sp[1] === 0x05;
  }
  if (celsius < MIN_CELSIUS || celsius > MAX_CELSIUS) {
    return { ok: false, reason: 'out-of-range', detail: `${celsius} °C is outside ${MIN_CELSIUS}..${MAX_CELSIUS} °C` };
  }
  return { ok: true, celsius, resolution, powerOn85 };
}

function hex2(value: number): string {
  return (value & 0xff).toString(16).toUpperCase().padStart(2, '0');
}

/** CRC-valid and neither all 00h nor all FFh: the bytes came from a device intact. */
export function scratchpadIntact(sp: ArrayLike<number>): boolean {
  let and = 0xff;
  let or = 0;
  for (let i = 0; i < SCRATCHPAD_BYTES; i++) {
    and &= sp[i];
    or |= sp[i];
  }
  return and !== 0xff && or !== 0 && crc8(sp, 0, 8) === sp[8];
}
