/**
 * The QoS 1 offline outbox: telemetry waits here until the hub acknowledges it.
 *
 * Write-ahead while the hub is unreachable, write-behind while it answers: a message pushed
 * `durable` (the hub is not connected) is stored at once; one pushed while connected stays in
 * RAM and is stored only if it is still unacknowledged when the owner calls persist() (the
 * connection was lost, the device stops, or the message waited longer than the owner's
 * write-behind delay: persistOlderThan). A stored message is deleted when PUBACKed; one that was
 * never stored is simply forgotten. So an outage or a restart loses nothing within capacity,
 * and the flash (NVS on the ESP32: every write wears it) sees no write at all per message while
 * the hub acknowledges promptly. What a sudden power cut can lose: the messages not yet stored,
 * i.e. built while connected and not acknowledged within the write-behind delay (usually the one
 * message in flight). Bounded by count and bytes: when full, two adjacent foldable messages
 * are folded into one when the owner gives a fold (OutboxOptions.fold: the pump folds telemetry
 * into aggregates, ./fold), else the oldest message is dropped (counted as overflow). Messages
 * older than their time to live are dropped before sending (counted as expired). Sending is
 * oldest first.
 *
 * Storage layout (small values, so ESP32 Preference works too), a fixed set of keys:
 *   <prefix>m            "next,overflow,expired,slots" — the index (`slots`: how many slot keys
 *                        may hold a message)
 *   <prefix><slot>       one message in slot 0..maxCount-1: JSON {s: sequence number, e: expiry
 *                        epoch ms or 0, w: messages folded into it (0: not foldable), p:
 *                        properties, b: body}
 * The index is written only when the stored set or the counters change. A message stored takes
 * the lowest free slot, so the keys in use never exceed maxCount whatever the
 * uptime: no platform accumulates keys (NVS entries, files). Restart reads every slot and orders
 * the messages by sequence number; a message written just before a crash whose index update was
 * lost is found the same way.
 *
 * Expiry uses the wall clock (epoch ms), which survives restarts; while the host has no real
 * time yet, a message gets no expiry.
 */
import type { Clock, Storage } from '../platform';
import type { MessageProperties } from './ports';

export interface OutboxOptions {
  /** Most messages kept. Default 200. */
  maxCount?: number;
  /** Most bytes kept (sum of stored value lengths). Default 64 KB. */
  maxBytes?: number;
  /** Time to live in ms; 0 = forever. Default 24 h. */
  ttlMs?: number;
  /** Storage key prefix. Default 'ob/'. */
  prefix?: string;
  /**
   * Folding instead of dropping (./fold): when the outbox is full, the two adjacent waiting
   * messages with the fewest originals folded into them so far, both `foldable`, become the one
   * message `fold` returns (undefined: that pair does not fold). Only when no pair folds is the
   * oldest message dropped (overflow). Without these, the oldest is dropped at once.
   */
  foldable?: (properties: MessageProperties, body: string) => boolean;
  fold?: (older: OutboxMessage, newer: OutboxMessage) => { body: string; properties: MessageProperties } | undefined;
  /**
   * Told when storage refuses a message (larger than a Preference value may be, the NVS full, a
   * flash error): the message stays in RAM and is still sent, but a power cut loses it.
   */
  onStoreError?: (message: string) => void;
}

export interface OutboxMessage {
  seq: number;
  body: string;
  properties: MessageProperties;
}

export interface OutboxCounts {
  pending: number;
  bytes: number;
  overflow: number;
  expired: number;
}

interface Entry {
  seq: number;
  /** The message's text while it is in RAM ('' and undefined for a stored message not read back). */
  body: string;
  properties: MessageProperties | undefined;
  /** Storage slot, or -1 while the message lives only in RAM (`value`). */
  slot: number;
  /** The stored form while not stored yet; undefined once stored. */
  value: string | undefined;
  /** Monotonic ms when pushed (for persistOlderThan). */
  pushedAt: number;
  size: number;
  expiry: number;
  inFlight: boolean;
  /** Messages folded into this one (1: itself); 0 when it cannot fold. */
  weight: number;
}

export class Outbox {
  readonly maxCount: number;
  readonly maxBytes: number;
  readonly ttlMs: number;
  private readonly prefix: string;
  private readonly foldable: OutboxOptions['foldable'];
  private readonly fold: OutboxOptions['fold'];
  private readonly onStoreError: OutboxOptions['onStoreError'];
  private readonly storage: Storage;
  private readonly clock: Clock;
  /** Entries in sequence order (oldest first); the bodies stay in storage. */
  private entries: Entry[] = [];
  /** slotUsed[i] = 1 while slot i holds a message. */
  private readonly slotUsed: Uint8Array;
  private next = 0;
  private bytes = 0;
  private overflowCount = 0;
  private expiredCount = 0;

  constructor(storage: Storage, clock: Clock, options: OutboxOptions = {}) {
    this.storage = storage;
    this.clock = clock;
    this.maxCount = options.maxCount ?? 200;
    this.maxBytes = options.maxBytes ?? 65536;
    this.ttlMs = options.ttlMs ?? 86400000;
    this.prefix = options.prefix ?? 'ob/';
    this.foldable = options.foldable;
    this.fold = options.fold;
    this.onStoreError = options.onStoreError;
    this.slotUsed = new Uint8Array(this.maxCount);
    this.load();
  }

  get counts(): OutboxCounts {
    return { pending: this.entries.length, bytes: this.bytes, overflow: this.overflowCount, expired: this.expiredCount };
  }

  get length(): number {
    return this.entries.length;
  }

  /**
   * Queues a message: stored at once when `durable` (write-ahead), else kept in RAM until
   * persist() or persistOlderThan() stores it or it is acknowledged. Returns false when it can
   * never fit (larger than maxBytes); otherwise drops the oldest messages as needed (overflow)
   * and returns true.
   */
  push(body: string, properties: MessageProperties, durable = true): boolean {
    const now = this.clock.epochMs();
    const expiry = this.ttlMs > 0 && now !== undefined ? now + this.ttlMs : 0;
    const seq = this.next;
    let value: string;
    let weight = 0;
    try {
      weight = this.fold !== undefined && this.foldable !== undefined && this.foldable(properties, body) ? 1 : 0;
      value = storedForm(seq, expiry, weight, properties, body);
    } catch (e) {
      // Never let one message end the application: it is refused, counted and reported.
      this.overflowCount++;
      this.onStoreError?.(`message refused: ${String(e)}`);
      return false;
    }
    const size = value.length;
    if (size > this.maxBytes) {
      // Counted and reported: a message that can never fit (e.g. telemetry of many sensors
      // with long names) must not vanish silently.
      this.overflowCount++;
      this.saveIndex();
      this.onStoreError?.(`message of ${size} chars refused: larger than the outbox's maxBytes ${this.maxBytes}`);
      return false;
    }
    let dropped = false;
    while (this.entries.length > 0 && (this.entries.length >= this.maxCount || this.bytes + size > this.maxBytes)) {
      if (this.foldPair()) continue;
      this.remove(0);
      this.overflowCount++;
      dropped = true;
    }
    this.next++;
    // The body and properties stay referenced while the message is in RAM: taking it to send
    // parses nothing (the stored form is read back only for a stored message).
    const entry: Entry = { seq, body, properties, slot: -1, value, pushedAt: this.clock.now(), size, expiry, inFlight: false, weight };
    this.entries.push(entry);
    this.bytes += size;
    // Write-ahead: the message, then the index that covers it.
    if (durable) this.store(entry);
    if (durable || dropped) this.saveIndex();
    return true;
  }

  /**
   * Folds the adjacent pair of waiting foldable messages with the smallest combined weight (the
   * oldest such pair on a tie, so the folded periods stay about equal), into the older one's
   * place. A stored result is written over one of the pair's keys before the other is deleted,
   * so a power cut in between leaves both (a period counted twice), never neither. Returns false
   * when no pair folds.
   */
  private foldPair(): boolean {
    const entries = this.entries;
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < entries.length; i++) {
        const a = entries[i];
        const b = entries[i + 1];
        if (a.weight === 0 || b.weight === 0 || a.inFlight || b.inFlight) continue;
        if (best < 0 || a.weight + b.weight < entries[best].weight + entries[best + 1].weight) best = i;
      }
      if (best < 0) return false;
      const a = entries[best];
      const b = entries[best + 1];
      const folded = this.read(a) && this.read(b) ? (this.fold as NonNullable<OutboxOptions['fold']>)(a, b) : undefined;
      if (folded === undefined) {
        // Not ours to fold (unreadable, or the hook declined): never tried again.
        a.weight = 0;
        if (a.slot >= 0) dropText(a);
        if (b.slot >= 0) dropText(b);
        continue;
      }
      const weight = a.weight + b.weight;
      const expiry = Math.max(a.expiry, b.expiry);
      const value = storedForm(a.seq, expiry, weight, folded.properties, folded.body);
      const keep = a.slot >= 0 ? a : b; // the key written over
      const gone = keep === a ? b : a;
      let slot = keep.slot;
      if (slot >= 0 && !this.write(slot, value)) {
        // Not storable: the folded message lives in RAM; its key must not keep the older text.
        this.storage.delete(this.prefix + slot);
        this.slotUsed[slot] = 0;
        slot = -1;
      }
      if (gone.slot >= 0) {
        this.storage.delete(this.prefix + gone.slot);
        this.slotUsed[gone.slot] = 0;
      }
      this.bytes += value.length - a.size - b.size;
      a.slot = slot;
      a.value = a.slot >= 0 ? undefined : value;
      a.body = folded.body;
      a.properties = folded.properties;
      if (a.slot >= 0) dropText(a);
      a.size = value.length;
      a.expiry = expiry;
      a.weight = weight;
      entries.splice(best + 1, 1);
      if (keep.slot >= 0 || gone.slot >= 0) this.saveIndex();
      return true;
    }
  }

  /** Stores every message not stored yet (the hub went away, or the device stops). */
  persist(): void {
    this.persistOlderThan(Infinity);
  }

  /** Stores the messages not stored yet that were pushed at or before `monotonicMs`. */
  persistOlderThan(monotonicMs: number): void {
    let stored = 0;
    for (const entry of this.entries) {
      if (entry.slot < 0 && entry.pushedAt <= monotonicMs) {
        this.store(entry);
        stored++;
      }
    }
    if (stored > 0) this.saveIndex();
  }

  /** Messages held in RAM only (lost by a power cut). */
  get unstored(): number {
    let n = 0;
    for (const entry of this.entries) if (entry.slot < 0) n++;
    return n;
  }

  /** Writes a stored value; false (and onStoreError told) when storage refuses it. */
  private write(slot: number, value: string): boolean {
    try {
      this.storage.set(this.prefix + slot, value);
      return true;
    } catch (e) {
      this.onStoreError?.(`message of ${value.length} chars kept in RAM only: ${String(e)}`);
      return false;
    }
  }

  private store(entry: Entry): void {
    const slot = this.slotUsed.indexOf(0);
    if (!this.write(slot, entry.value as string)) {
      entry.pushedAt = Infinity; // stays in RAM, sent as usual; persistOlderThan does not retry it
      return;
    }
    this.slotUsed[slot] = 1;
    entry.slot = slot;
    entry.value = undefined;
    // RAM holds a stored message's text only while it is in flight.
    if (!entry.inFlight) dropText(entry);
  }

  /** Drops expired messages (counted). Returns how many were dropped. */
  expire(): number {
    const now = this.clock.epochMs();
    if (now === undefined) return 0;
    let dropped = 0;
    for (let i = 0; i < this.entries.length; ) {
      const entry = this.entries[i];
      if (!entry.inFlight && entry.expiry !== 0 && entry.expiry <= now) {
        this.remove(i);
        dropped++;
      } else {
        i++;
      }
    }
    if (dropped > 0) {
      this.expiredCount += dropped;
      this.saveIndex();
    }
    return dropped;
  }

  /**
   * The oldest message not yet in flight, marked in flight; undefined when none. The result is
   * the outbox's own record (no copy): read it, do not keep or modify it.
   */
  takeNext(): OutboxMessage | undefined {
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (entry.inFlight || !this.read(entry)) continue;
      entry.inFlight = true;
      return entry;
    }
    return undefined;
  }

  get inFlight(): number {
    let n = 0;
    for (const entry of this.entries) if (entry.inFlight) n++;
    return n;
  }

  /** The hub acknowledged the message: delete it. */
  acknowledge(seq: number): void {
    const i = this.indexOf(seq);
    if (i < 0) return;
    const stored = this.entries[i].slot >= 0;
    this.remove(i);
    if (stored) this.saveIndex();
  }

  /** Sending failed: the message goes back to waiting, in its place. */
  release(seq: number): void {
    const i = this.indexOf(seq);
    if (i >= 0) this.unmark(this.entries[i]);
  }

  /** Every message back to waiting (the connection was lost). */
  releaseAll(): void {
    for (const entry of this.entries) this.unmark(entry);
  }

  private unmark(entry: Entry): void {
    entry.inFlight = false;
    if (entry.slot >= 0) dropText(entry);
  }

  private indexOf(seq: number): number {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].seq === seq) return i;
    return -1;
  }

  private remove(i: number): void {
    const entry = this.entries[i];
    if (entry.slot >= 0) {
      this.storage.delete(this.prefix + entry.slot);
      this.slotUsed[entry.slot] = 0;
    }
    this.bytes -= entry.size;
    // The oldest is the usual one: shift() allocates no array for the removed element.
    if (i === 0) this.entries.shift();
    else this.entries.splice(i, 1);
  }

  /** Makes sure `entry` has its body and properties (read back from storage when stored); false when unreadable. */
  private read(entry: Entry): entry is Entry & OutboxMessage {
    if (entry.properties !== undefined) return true;
    const value = entry.slot < 0 ? entry.value : this.storage.get(this.prefix + entry.slot);
    if (value === undefined) return false;
    try {
      const parsed = JSON.parse(value) as { p: MessageProperties; b: string };
      if (typeof parsed.b !== 'string' || parsed.p === null || typeof parsed.p !== 'object') return false;
      entry.body = parsed.b;
      entry.properties = parsed.p;
      return true;
    } catch {
      return false;
    }
  }

  private saveIndex(): void {
    this.storage.set(this.prefix + 'm', `${this.next},${this.overflowCount},${this.expiredCount},${this.maxCount}`);
  }

  /**
   * Rebuilds the entries from storage after a restart: every slot the index says may be used
   * (and every slot of this capacity), ordered by sequence number. Corrupt messages are deleted;
   * messages beyond a smaller capacity than before are dropped oldest first (overflow).
   */
  private load(): void {
    const index = (this.storage.get(this.prefix + 'm') ?? '').split(',').map((n) => Number(n));
    const valid = index.length === 4 && index.every((n) => Number.isInteger(n) && n >= 0);
    if (valid) {
      this.next = index[0]!;
      this.overflowCount = index[1]!;
      this.expiredCount = index[2]!;
    }
    const slots = valid ? Math.max(index[3]!, this.maxCount) : this.maxCount;
    const found: Entry[] = [];
    for (let slot = 0; slot < slots; slot++) {
      const value = this.storage.get(this.prefix + slot);
      if (value === undefined) continue;
      const stored = parseStored(value);
      if (stored === undefined) {
        this.storage.delete(this.prefix + slot);
        continue;
      }
      found.push({ seq: stored.seq, body: '', properties: undefined, slot, value: undefined, pushedAt: 0, size: value.length, expiry: stored.expiry, inFlight: false, weight: this.fold === undefined ? 0 : stored.weight });
      if (stored.seq >= this.next) this.next = stored.seq + 1;
    }
    found.sort((a, b) => a.seq - b.seq);
    for (const entry of found) {
      if (entry.slot >= this.maxCount || this.entries.length >= this.maxCount) {
        this.storage.delete(this.prefix + entry.slot);
        this.overflowCount++;
        continue;
      }
      this.entries.push(entry);
      this.slotUsed[entry.slot] = 1;
      this.bytes += entry.size;
    }
    while (this.bytes > this.maxBytes && this.entries.length > 0) {
      this.remove(0);
      this.overflowCount++;
    }
  }
}

/** A message's stored form: JSON {s: sequence number, e: expiry, w: weight, p: properties, b: body}. */
export function storedForm(seq: number, expiry: number, weight: number, properties: MessageProperties, body: string): string {
  // A copy of the properties: XS's JSON.stringify marks every object it visits, which fails on an
  // object preloaded into flash, such as telemetry.ts's shared property sets ("TypeError: read
  // only value (in stringify)" in mcsim, where it ended the application at the first telemetry).
  const p: MessageProperties = {};
  for (const key of Object.keys(properties)) p[key] = properties[key]!;
  return JSON.stringify({ s: seq, e: expiry, w: weight, p, b: body });
}

/**
 * The sequence number, expiry and weight of a stored message, or undefined when it is not one.
 * A message stored before weights existed has none: it does not fold.
 */
function parseStored(value: string): { seq: number; expiry: number; weight: number } | undefined {
  try {
    const m = JSON.parse(value) as { s?: unknown; e?: unknown; w?: unknown };
    if (m === null || typeof m !== 'object' || typeof m.s !== 'number' || !Number.isInteger(m.s) || m.s < 0) return undefined;
    const w = m.w;
    return { seq: m.s, expiry: typeof m.e === 'number' ? m.e : 0, weight: typeof w === 'number' && Number.isInteger(w) && w > 0 ? w : 0 };
  } catch {
    return undefined;
  }
}

/** Forgets a stored message's text in RAM (read back from storage when it is next taken). */
function dropText(entry: Entry): void {
  entry.body = '';
  entry.properties = undefined;
}
