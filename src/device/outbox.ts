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
 * message in flight). Bounded by count and bytes: when full, the oldest message is dropped
 * (counted as overflow). Messages older than their time to live are dropped before sending
 * (counted as expired). Sending is oldest first.
 *
 * Storage layout (small values, so ESP32 Preference works too), a fixed set of keys:
 *   <prefix>m            "next,overflow,expired,slots" — the index (`slots`: how many slot keys
 *                        may hold a message)
 *   <prefix><slot>       one message in slot 0..maxCount-1: JSON {s: sequence number, e: expiry
 *                        epoch ms or 0, p: properties, b: body}
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
}

export class Outbox {
  readonly maxCount: number;
  readonly maxBytes: number;
  readonly ttlMs: number;
  private readonly prefix: string;
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
    const value = JSON.stringify({ s: seq, e: expiry, p: properties, b: body });
    const size = value.length;
    if (size > this.maxBytes) {
      this.overflowCount++;
      this.saveIndex();
      return false;
    }
    let dropped = false;
    while (this.entries.length > 0 && (this.entries.length >= this.maxCount || this.bytes + size > this.maxBytes)) {
      this.remove(0);
      this.overflowCount++;
      dropped = true;
    }
    this.next++;
    // The body and properties stay referenced while the message is in RAM: taking it to send
    // parses nothing (the stored form is read back only for a stored message).
    const entry: Entry = { seq, body, properties, slot: -1, value, pushedAt: this.clock.now(), size, expiry, inFlight: false };
    this.entries.push(entry);
    this.bytes += size;
    // Write-ahead: the message, then the index that covers it.
    if (durable) this.store(entry);
    if (durable || dropped) this.saveIndex();
    return true;
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

  private store(entry: Entry): void {
    const slot = this.slotUsed.indexOf(0);
    this.slotUsed[slot] = 1;
    entry.slot = slot;
    this.storage.set(this.prefix + slot, entry.value as string);
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
      found.push({ seq: stored.seq, body: '', properties: undefined, slot, value: undefined, pushedAt: 0, size: value.length, expiry: stored.expiry, inFlight: false });
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

/** The sequence number and expiry of a stored message, or undefined when it is not one. */
function parseStored(value: string): { seq: number; expiry: number } | undefined {
  try {
    const m = JSON.parse(value) as { s?: unknown; e?: unknown };
    if (m === null || typeof m !== 'object' || typeof m.s !== 'number' || !Number.isInteger(m.s) || m.s < 0) return undefined;
    return { seq: m.s, expiry: typeof m.e === 'number' ? m.e : 0 };
  } catch {
    return undefined;
  }
}

/** Forgets a stored message's text in RAM (read back from storage when it is next taken). */
function dropText(entry: Entry): void {
  entry.body = '';
  entry.properties = undefined;
}
