/**
 * A model of ESP-IDF's NVS (non-volatile storage) library, written from its documentation
 * (ESP-IDF Programming Guide, API Reference > Storage > Non-Volatile Storage Library, section
 * "Internals": pages, entries, items, garbage collection), to turn a device's Preference writes
 * into flash erase cycles and a partition lifetime.
 *
 * What the documentation says and the model does:
 *   - The partition is a sequence of 4096-byte pages (flash sectors). A page holds a 32-byte
 *     header, a 32-byte entry state bitmap and 126 entries of 32 bytes.
 *   - A key-value pair is an item. A string item takes a header entry (namespace index, type,
 *     span, CRC, the key of up to 15 characters, size) followed by the string's bytes, NUL
 *     included, in ceil((length + 1) / 32) further entries: span = 1 + ceil((length + 1) / 32).
 *     All its entries are in one page (strings are at most 4000 bytes).
 *   - Items are appended at the next free entry of the active page. Setting a key that exists
 *     writes the new item, then marks the old one's entries erased in the bitmap; erasing a key
 *     marks its entries erased. Marking is a bit write, not a sector erase.
 *   - When the active page lacks room for an item it becomes full and the next free page becomes
 *     active. One free page is always kept in reserve: when only it is left, the library takes
 *     the full page with the most erased entries, copies its live items into the reserve page
 *     (which becomes active), and erases the old page, which becomes the new reserve. This page
 *     erase is the wear; the copies are extra writes.
 *   - A namespace takes one item, written when first used (ignored here: once per device life).
 *
 * Not modelled (each makes real wear at most this figure, or a constant below it): ESP-IDF
 * skipping a write whose value equals the stored one (modelled as a write), the namespace and
 * page-header writes, and blobs (the firmware stores strings only).
 *
 * Lifetime: the day's write log is replayed day after day; after the first days (filling the
 * partition), erases per day of the most-erased page give nvsLifeYears = cycles / (that * 365).
 * NVS rotates pages, so wear spreads over all of them; the worst page decides.
 */

export const PAGE_BYTES = 4096;
export const ENTRIES_PER_PAGE = 126;
export const ENTRY_BYTES = 32;

/** One storage operation of the device, in order. */
export type StorageOp = { op: 'set'; key: string; bytes: number } | { op: 'delete'; key: string };

export interface NvsOptions {
  /** Partition bytes. Moddable's default ESP32 partition table gives NVS 24 KB (0x6000). */
  partitionBytes?: number;
  /** Erase cycles a flash sector is rated for. */
  cycles?: number;
}

export interface NvsFigures {
  /** Entries written per day (items, not counting garbage-collection copies). */
  entriesWrittenPerDay: number;
  /** Bytes of flash written per day: 32 per entry, GC copies included. */
  nvsBytesWritten: number;
  /** Entries copied by garbage collection per day. */
  gcCopiedEntriesPerDay: number;
  pageErasesPerDay: number;
  worstPageErasesPerDay: number;
  nvsLifeYears: number;
}

/** Entries a string item of `bytes` UTF-8 bytes takes: header + data with its NUL. */
export function stringSpan(bytes: number): number {
  return 1 + Math.ceil((bytes + 1) / ENTRY_BYTES);
}

interface Item {
  page: number;
  span: number;
}

class Partition {
  readonly pages: number;
  /** Entries used (written) per page, live or erased. */
  readonly used: number[];
  /** Entries erased per page. */
  readonly erased: number[];
  readonly erases: number[];
  /** Pages in the free list, in order; the last one is the reserve. */
  free: number[];
  active: number;
  /** Pages in use, oldest first (the order they became active: NVS's page sequence numbers). */
  order: number[];
  readonly items = new Map<string, Item>();
  entriesWritten = 0;
  gcCopied = 0;

  constructor(pages: number) {
    this.pages = pages;
    this.used = new Array<number>(pages).fill(0);
    this.erased = new Array<number>(pages).fill(0);
    this.erases = new Array<number>(pages).fill(0);
    this.active = 0;
    this.order = [0];
    this.free = [];
    for (let p = 1; p < pages; p++) this.free.push(p);
  }

  set(key: string, bytes: number): void {
    const span = stringSpan(bytes);
    if (span > ENTRIES_PER_PAGE) throw new RangeError(`${key}: ${bytes} bytes do not fit a page`);
    this.ensureRoom(span);
    const old = this.items.get(key);
    const page = this.active;
    this.used[page] += span;
    this.entriesWritten += span;
    this.items.set(key, { page, span });
    if (old) this.erased[old.page] += old.span;
  }

  delete(key: string): void {
    const old = this.items.get(key);
    if (!old) return;
    this.items.delete(key);
    this.erased[old.page] += old.span;
  }

  private ensureRoom(span: number): void {
    for (let guard = 0; ENTRIES_PER_PAGE - this.used[this.active] < span; guard++) {
      if (guard > this.pages * 2) throw new RangeError('NVS partition full: live data does not fit');
      if (this.free.length > 1) {
        this.active = this.free.shift() as number;
        this.order.push(this.active);
        continue;
      }
      this.collect();
    }
  }

  /** Garbage collection: the full page with the most erased entries moves into the reserve page and is erased. */
  private collect(): void {
    const reserve = this.free.shift() as number;
    // The most erased entries; on a tie the oldest page (ESP-IDF walks its pages in sequence order).
    let victim = -1;
    for (const p of this.order) if (victim < 0 || this.erased[p] > this.erased[victim]) victim = p;
    let moved = 0;
    for (const item of this.items.values()) {
      if (item.page === victim) {
        item.page = reserve;
        moved += item.span;
      }
    }
    this.used[reserve] = moved;
    this.erased[reserve] = 0;
    this.gcCopied += moved;
    this.used[victim] = 0;
    this.erased[victim] = 0;
    this.erases[victim]++;
    this.free.push(victim);
    this.order = this.order.filter((p) => p !== victim);
    this.order.push(reserve);
    this.active = reserve;
  }
}

/** Longest replay: 100 years. */
const MAX_DAYS = 36_500;

/** Replays one day's operations `days` times and measures the steady-state wear. */
export function nvsFigures(day: StorageOp[], options: NvsOptions = {}): NvsFigures {
  const pages = Math.floor((options.partitionBytes ?? 24 * 1024) / PAGE_BYTES);
  const cycles = options.cycles ?? 100_000;
  const partition = new Partition(pages);
  const replay = (): void => {
    for (const o of day) {
      if (o.op === 'set') partition.set(o.key, o.bytes);
      else partition.delete(o.key);
    }
  };
  // Warm-up: fill the partition so garbage collection runs as it does in a device's life.
  const warmup = 3;
  for (let d = 0; d < warmup; d++) replay();
  const erases0 = partition.erases.slice();
  const written0 = partition.entriesWritten;
  const copied0 = partition.gcCopied;
  // Enough days that every page is erased several times (few writes a day need many days).
  let days = 0;
  const sumSince = (): number => partition.erases.reduce((a, e, i) => a + e - erases0[i], 0);
  while (days < 10 || (sumSince() < pages * 20 && days < MAX_DAYS)) {
    replay();
    days++;
  }
  const perPage = partition.erases.map((e, i) => (e - erases0[i]) / days);
  const total = perPage.reduce((a, b) => a + b, 0);
  const worst = Math.max(...perPage);
  const entries = (partition.entriesWritten - written0) / days;
  const copied = (partition.gcCopied - copied0) / days;
  return {
    entriesWrittenPerDay: entries,
    nvsBytesWritten: (entries + copied) * ENTRY_BYTES,
    gcCopiedEntriesPerDay: copied,
    pageErasesPerDay: total,
    worstPageErasesPerDay: worst,
    // No erase in MAX_DAYS: the lifetime is at least what one erase in that time would give.
    nvsLifeYears: cycles / Math.max(worst, 1 / MAX_DAYS) / 365,
  };
}
