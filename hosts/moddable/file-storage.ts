import type { Storage } from '../../src/platform';
import { checkStorageEntry } from './storage-limits';

/** The few file operations FileStorage needs (Moddable's "file" module on the simulators). */
export interface FileSystem {
  /** The file's text, or undefined when there is no such file. */
  read(path: string): string | undefined;
  /** Creates or replaces the file with `text`. */
  write(path: string, text: string): void;
  /** Renames `from` to `to` in the same folder, replacing `to`. */
  rename(from: string, to: string): void;
  delete(path: string): void;
  /** Names of the regular files in the folder (created if missing). */
  list(folder: string): string[];
}

/** Leading character of files being written: never a key (encodeURIComponent leaves no dot first). */
const TEMP_PREFIX = '.w-';

/**
 * The simulators' Storage: one file per key in `folder`, as NVS keeps one entry per key on the
 * ESP32, so nothing is held in RAM and a set writes only its own value. A value is written to a
 * temporary file and renamed over the old one, so a simulator killed mid-write keeps the old
 * value (NVS's own atomicity). Keys and values obey the NVS limits (storage-limits.ts).
 *
 * Why not the SDK's Preference here: its desktop implementation keeps every value in one object
 * made when the module loads and saves it with JSON.stringify; preloaded (as the firmware's
 * modules are) that object lives in flash, stringify cannot mark it, and every save fails
 * silently, so nothing survived a simulator restart.
 */
export class FileStorage implements Storage {
  private readonly folder: string;

  /** `folder`: where the files go, created if missing; ends with '/'. */
  constructor(private readonly fs: FileSystem, folder: string) {
    this.folder = folder.endsWith('/') ? folder : `${folder}/`;
    fs.list(this.folder);
  }

  get(key: string): string | undefined {
    return this.fs.read(this.pathOf(key));
  }

  set(key: string, value: string): void {
    checkStorageEntry(key, value);
    const name = encodeURIComponent(key);
    const temp = `${this.folder}${TEMP_PREFIX}${name}`;
    this.fs.write(temp, value);
    this.fs.rename(temp, `${this.folder}${name}`);
  }

  delete(key: string): void {
    this.fs.delete(this.pathOf(key));
  }

  keys(prefix?: string): string[] {
    const out: string[] = [];
    for (const name of this.fs.list(this.folder)) {
      if (name.startsWith(TEMP_PREFIX)) continue;
      const key = decodeURIComponent(name);
      if (prefix === undefined || key.startsWith(prefix)) out.push(key);
    }
    return out;
  }

  private pathOf(key: string): string {
    return `${this.folder}${encodeURIComponent(key)}`;
  }
}
