/**
 * DS18B20-family temperature encoding: the 16-bit two's-complement temperature register,
 * resolution and conversion time. Pure functions, shared by the driver and the simulator.
 */

export type Resolution = 9 | 10 | 11 | 12;

export const RESOLUTIONS: readonly Resolution[] = Object.freeze([9, 10, 11, 12] as Resolution[]);

/** Maximum conversion time tCONV (datasheet) in ms. */
export function conversionTimeMs(resolution: Resolution): number {
  return 750 / (1 << (12 - resolution));
}

/** Configuration register value for a resolution: R1R0 in bits 6..5, the rest reads as 1. */
export function configForResolution(resolution: Resolution): number {
  return ((resolution - 9) << 5) | 0x1f;
}

export function resolutionFromConfig(config: number): Resolution {
  return (((config >> 5) & 3) + 9) as Resolution;
}

/**
 * Celsius from the DS18B20/DS1822 register (LSB, MSB): sign-extended, 1/16 °C per count,
 * with the bits that are undefined at this resolution masked (bit 0 at 11 bits, bits 1..0 at
 * 10 bits, bits 2..0 at 9 bits).
 */
export function decodeTemperature(lsb: number, msb: number, resolution: Resolution): number {
  let raw = ((msb & 0xff) << 8) | (lsb & 0xff);
  if (raw & 0x8000) raw -= 0x10000;
  const undefinedBits = 12 - resolution;
  raw &= ~((1 << undefinedBits) - 1);
  return raw / 16;
}

/**
 * The register value (0..0xFFFF) a DS18B20 stores for `celsius` at `resolution`: rounded down
 * to the resolution step (the ADC truncates), two's complement. Values outside the register's
 * range are clamped to it (a real device cannot express them).
 */
export function encodeTemperature(celsius: number, resolution: Resolution): number {
  const step = 1 << (12 - resolution);
  let raw = Math.floor((celsius * 16) / step) * step;
  if (raw > 0x7fff) raw = 0x7fff & ~(step - 1);
  if (raw < -0x8000) raw = -0x8000;
  return raw & 0xffff;
}

/**
 * DS18S20 (family 10h): 9-bit register in 0.5 °C steps, extended with COUNT_REMAIN and
 * COUNT_PER_C (datasheet): T = TEMP_READ - 0.25 + (COUNT_PER_C - COUNT_REMAIN) / COUNT_PER_C,
 * where TEMP_READ is the register with its 0.5 °C bit truncated. Returns undefined when
 * COUNT_PER_C is 0 (a corrupt scratchpad), to avoid dividing by zero.
 */
export function decodeDs18s20(lsb: number, msb: number, countRemain: number, countPerC: number): number | undefined {
  if (countPerC === 0) return undefined;
  let raw = ((msb & 0xff) << 8) | (lsb & 0xff);
  if (raw & 0x8000) raw -= 0x10000;
  const tempRead = (raw >> 1) as number; // arithmetic shift: floor(raw / 2) whole degrees
  return tempRead - 0.25 + (countPerC - countRemain) / countPerC;
}

/** The DS18S20 register, COUNT_REMAIN and COUNT_PER_C for `celsius` (COUNT_PER_C = 16). */
export function encodeDs18s20(celsius: number): { raw: number; countRemain: number; countPerC: number } {
  // Extended reading t = whole - 0.25 + (16 - remain)/16, with whole = floor(t + 0.25).
  const sixteenths = Math.floor(celsius * 16);
  const whole = Math.floor((sixteenths + 4) / 16);
  let remain = 16 - (sixteenths - whole * 16 + 4);
  remain = Math.max(1, Math.min(16, remain));
  const half = Math.round(celsius * 2); // the plain 9-bit register rounds to 0.5 °C
  return { raw: (half << 0) & 0xffff, countRemain: remain, countPerC: 16 };
}

export const MIN_CELSIUS = -55;
export const MAX_CELSIUS = 125;
