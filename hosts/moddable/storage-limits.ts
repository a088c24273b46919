import { utf8Length } from '../../src/text/utf8';

/**
 * ESP32 NVS limits (ESP-IDF "Non-Volatile Storage Library": keys at most 15 characters, a string
 * value at most 4000 bytes including its NUL), enforced by every storage of the firmware so the
 * simulator fails where the device would. The NVS partition itself is small (tens of KB), so
 * keep values few and short.
 */
export const MAX_KEY_LENGTH = 15;
export const MAX_VALUE_BYTES = 3999;

/** Throws RangeError when `key` or `value` could not be stored in NVS. */
export function checkStorageEntry(key: string, value: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new RangeError(`storage key length ${key.length}`);
  // src/text/utf8 counts both string representations (a code point above 0xFFFF is one
  // character on Moddable's XS, where this runs); a lone surrogate (-1) has no UTF-8 form.
  const bytes = utf8Length(value);
  if (bytes < 0) throw new RangeError(`storage value for ${key} is not valid text`);
  if (bytes > MAX_VALUE_BYTES) throw new RangeError(`storage value too long for ${key}`);
}
