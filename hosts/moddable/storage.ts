import Preference from 'preference';
import type { Storage } from '../../src/platform';
import { checkStorageEntry, MAX_KEY_LENGTH } from './storage-limits';

/**
 * Storage over Moddable's Preference, all keys in one domain: NVS on ESP32 (this module is the
 * ESP32 manifest's "hosts/moddable/storage"; the simulators map that name to ./storage-sim, a
 * file per key, because the SDK's desktop Preference cannot save once preloaded).
 */
export class PreferenceStorage implements Storage {
  constructor(private readonly domain = 'thermo') {
    if (domain.length > MAX_KEY_LENGTH) throw new RangeError('preference domain too long');
  }

  get(key: string): string | undefined {
    const value = Preference.get(this.domain, key);
    return typeof value === 'string' ? value : undefined;
  }

  set(key: string, value: string): void {
    checkStorageEntry(key, value);
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

/** The firmware's storage on this platform. */
export function createStorage(): Storage {
  return new PreferenceStorage();
}
