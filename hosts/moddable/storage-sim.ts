import { Directory, File, Iterator } from 'file';
import config from 'mc/config';
import type { Storage } from '../../src/platform';
import { FileStorage, type FileSystem } from './file-storage';

/** FileSystem over Moddable's "file" module (modules/files/file). */
const moddableFiles: FileSystem = Object.freeze({
  read(path: string): string | undefined {
    if (!File.exists(path)) return undefined;
    const file = new File(path);
    try {
      return file.length === 0 ? '' : (file.read(String) as string);
    } finally {
      file.close();
    }
  },
  write(path: string, text: string): void {
    if (File.exists(path)) File.delete(path);
    const file = new File(path, true);
    try {
      file.write(text);
    } finally {
      file.close();
    }
  },
  rename(from: string, to: string): void {
    const name = to.slice(to.lastIndexOf('/') + 1);
    if (!File.rename(from, name)) throw new Error(`storage: could not rename ${from} to ${name}`);
  },
  delete(path: string): void {
    if (File.exists(path)) File.delete(path);
  },
  list(folder: string): string[] {
    Directory.create(folder);
    const names: string[] = [];
    const entries = new Iterator(folder);
    // next() rather than for-of: the SDK's typings of "file" give Iterator no [Symbol.iterator].
    for (let entry = entries.next(); entry !== undefined; entry = entries.next()) if (entry.length !== undefined) names.push(entry.name);
    return names;
  },
});

/**
 * The firmware's storage on the simulators: a file per key (file-storage.ts) in the manifest's
 * `storageDir`, or else `iothub-thermo/` under the SDK's file root (/tmp/ on Linux).
 */
export function createStorage(): Storage {
  const configured = typeof config.storageDir === 'string' ? config.storageDir : '';
  const root = (config.file as { root?: string } | undefined)?.root ?? '/tmp/';
  return new FileStorage(moddableFiles, configured !== '' ? configured : `${root}iothub-thermo/`);
}
