/**
 * Storage for Node: one file per key in a data directory. Writes are atomic (write a temp file,
 * fsync, rename), so a crash leaves either the old or the new value, never half of one.
 * Keys may contain '/', which is escaped so every key is one flat file name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Storage } from '../../src/platform';

function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(/\./g, '%2E').replace(/\*/g, '%2A');
}

export class FileStorage implements Storage {
  readonly dir: string;
  private tmpCounter = 0;

  constructor(dir: string) {
    this.dir = dir;
    fs.mkdirSync(dir, { recursive: true });
  }

  private file(key: string): string {
    return path.join(this.dir, encodeKey(key) + '.v');
  }

  get(key: string): string | undefined {
    try {
      return fs.readFileSync(this.file(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  set(key: string, value: string): void {
    const target = this.file(key);
    const tmp = path.join(this.dir, `.tmp-${process.pid}-${this.tmpCounter++}`);
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, value);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  }

  delete(key: string): void {
    fs.rmSync(this.file(key), { force: true });
  }

  keys(prefix = ''): string[] {
    const out: string[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.endsWith('.v')) continue;
      const key = decodeURIComponent(name.slice(0, -2));
      if (key.startsWith(prefix)) out.push(key);
    }
    return out.sort();
  }
}
