/**
 * The simulators' storage (hosts/moddable/file-storage.ts): a file per key, NVS's limits, writes
 * that survive a restart and a crash mid-write. Run over Node's fs with the same FileSystem
 * contract the Moddable "file" adapter (hosts/moddable/storage-sim.ts) implements; the Moddable
 * lane runs the real one in mcsim.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStorage, type FileSystem } from '../../hosts/moddable/file-storage';

/** FileSystem over Node's fs, with the Moddable adapter's semantics. */
const nodeFiles: FileSystem = {
  read: (p) => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined),
  write: (p, text) => fs.writeFileSync(p, text, 'utf8'),
  rename: (from, to) => fs.renameSync(from, to),
  delete: (p) => fs.rmSync(p, { force: true }),
  list: (folder) => {
    fs.mkdirSync(folder, { recursive: true });
    return fs.readdirSync(folder, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  },
};

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thermo-file-storage-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('FileStorage', () => {
  it('keeps values, non-ASCII and emoji included, across a new instance (a simulator restart)', () => {
    const folder = path.join(dir, 'state');
    const a = new FileStorage(nodeFiles, folder);
    a.set('name/1', 'Küche 😀 温度计');
    a.set('ob/0', '{"seq":1}');
    a.set('ob/m', '7');
    const b = new FileStorage(nodeFiles, folder);
    expect(b.get('name/1')).toBe('Küche 😀 温度计');
    expect(b.keys().sort()).toEqual(['name/1', 'ob/0', 'ob/m']);
    expect(b.keys('ob/').sort()).toEqual(['ob/0', 'ob/m']);
    expect(b.get('missing')).toBeUndefined();
  });

  it('replaces a value with a shorter one whole, stores the empty string, deletes', () => {
    const s = new FileStorage(nodeFiles, dir);
    s.set('k', 'a long first value');
    s.set('k', 'b');
    expect(s.get('k')).toBe('b');
    s.set('e', '');
    expect(s.get('e')).toBe('');
    s.delete('k');
    s.delete('never-set');
    expect(s.get('k')).toBeUndefined();
    expect(s.keys()).toEqual(['e']);
  });

  it('keeps one file per key: 2,000 sets of the same slots leave only those keys', () => {
    const s = new FileStorage(nodeFiles, dir);
    for (let i = 0; i < 2000; i++) s.set(`ob/${i % 4}`, `message ${i}`);
    expect(fs.readdirSync(dir).sort()).toEqual(['ob%2F0', 'ob%2F1', 'ob%2F2', 'ob%2F3']);
  });

  it('refuses what NVS refuses and keeps the old value', () => {
    const s = new FileStorage(nodeFiles, dir);
    s.set('k', 'old');
    expect(() => s.set('a-key-of-16-char', 'x')).toThrow(RangeError);
    expect(() => s.set('', 'x')).toThrow(RangeError);
    expect(() => s.set('k', 'ü'.repeat(2000))).toThrow(/too long/);
    expect(() => s.set('k', '\uD800')).toThrow(/not valid text/);
    expect(s.get('k')).toBe('old');
    expect(s.keys()).toEqual(['k']);
  });

  it('a write cut off by a crash leaves the old value and no key for the partial file', () => {
    const s = new FileStorage(nodeFiles, dir);
    s.set('k', 'old');
    let crash = true;
    const crashing: FileSystem = { ...nodeFiles, rename: (from, to) => (crash ? undefined : nodeFiles.rename(from, to)) };
    const c = new FileStorage(crashing, dir);
    c.set('k', 'new, never renamed');
    const after = new FileStorage(nodeFiles, dir);
    expect(after.get('k')).toBe('old');
    expect(after.keys()).toEqual(['k']);
    crash = false;
    c.set('k', 'new');
    expect(after.get('k')).toBe('new');
  });
});
