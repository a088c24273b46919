import Preference from 'preference';
import type { Storage } from '../../src/platform';
import { utf8Length } from '../../src/text/utf8';

/**
 * ESP32 NVS limits, enforced on every platform so the simulator fails where the device would:
 * domain and key at most 15 characters; a string value at most 4000 bytes including its NUL.
 * The NVS partition itself is small (tens of KB), so keep values few and short.
 */
export const MAX_KEY_LENGTH = 15;
export const MAX_VALUE_BYTES = 3999;

/** Storage over Moddable's Preference, all keys in one domain. */
export class PreferenceStorage implements Storage {
  constructor(private readonly domain = 'thermo') {
    if (domain.length > MAX_KEY_LENGTH) throw new RangeError('preference domain too long');
  }

  get(key: string): string | undefined {
    const value = Preference.get(this.domain, key);
    return typeof value === 'string' ? value : undefined;
  }

  set(key: string, value: string): void {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new RangeError(`preference key length ${key.length}`);
    // src/text/utf8 counts both string representations (a code point above 0xFFFF is one
    // character on Moddable's XS, where this runs); a lone surrogate (-1) has no UTF-8 form.
    const bytes = utf8Length(value);
    if (bytes < 0) throw new RangeError(`preference value for ${key} is not valid text`);
    if (bytes > MAX_VALUE_BYTES) throw new RangeError(`preference value too long for ${key}`);
    Preference.set(this.domain, key, value);
  }

  delete(key: string): void {
    Preference.delete(this.domain, key);
  }

  keys(prefix?: string): string[] {
    const all = Preference.keys(this.domain);
    return prefix === undefined ? all : all.filter((key) => key.startsWith(prefix));
  }
}
