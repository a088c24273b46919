import Preference from 'preference';
import type { Storage } from '../../src/platform';

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
    if (utf8Length(value) > MAX_VALUE_BYTES) throw new RangeError(`preference value too long for ${key}`);
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

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
