/**
 * The QoS 1 offline outbox: telemetry waits here until the hub acknowledges it.
 *
 * Write-ahead: a message is stored before it is sent and deleted only when PUBACKed, so an
 * outage or a restart loses nothing within capacity. Bounded by count and bytes: when full,
 * the oldest message is dropped (counted as overflow). Messages older than their time to live
 * are dropped before sending (counted as expired). Sending is oldest first.
 *
 * Storage layout (small values, so ESP32 Preference works too), a fixed set of keys:
 *   <prefix>m            "next,overflow,expired,slots" — the index (`slots`: how many slot keys
 *                        may hold a message)
 *   <prefix><slot>       one message in slot 0..maxCount-1: JSON {s: sequence number, e: expiry
 *                        epoch ms or 0, p: properties, b: body}
 * A message takes the lowest free slot, so the keys in use never exceed maxCount whatever the
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
  slot: number;
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
   * Stores a message. Returns false when it can never fit (larger than maxBytes); otherwise
   * drops the oldest messages as needed (overflow) and returns true.
   */
  push(body: string, properties: MessageProperties): boolean {
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
    while (this.entries.length > 0 && (this.entries.length >= this.maxCount || this.bytes + size > this.maxBytes)) {
      this.remove(0);
      this.overflowCount++;
    }
    this.next++;
    const slot = this.slotUsed.indexOf(0);
    this.slotUsed[slot] = 1;
    // Write-ahead: the message, then the index that covers it.
    this.storage.set(this.prefix + slot, value);
    this.entries.push({ seq, slot, size, expiry, inFlight: false });
    this.bytes += size;
    this.saveIndex();
    return true;
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

  /** The oldest message not yet in flight, marked in flight; undefined when none. */
  takeNext(): OutboxMessage | undefined {
    for (const entry of this.entries) {
      if (entry.inFlight) continue;
      const message = this.read(entry);
      if (message === undefined) continue;
      entry.inFlight = true;
      return message;
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
    this.remove(i);
    this.saveIndex();
  }

  /** Sending failed: the message goes back to waiting, in its place. */
  release(seq: number): void {
    const i = this.indexOf(seq);
    if (i >= 0) this.entries[i].inFlight = false;
  }

  /** Every message back to waiting (the connection was lost). */
  releaseAll(): void {
    for (const entry of this.entries) entry.inFlight = false;
  }

  private indexOf(seq: number): number {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].seq === seq) return i;
    return -1;
  }

  private remove(i: number): void {
    const entry = this.entries[i];
    this.storage.delete(this.prefix + entry.slot);
    this.slotUsed[entry.slot] = 0;
    this.bytes -= entry.size;
    this.entries.splice(i, 1);
  }

  private read(entry: Entry): OutboxMessage | undefined {
    const value = this.storage.get(this.prefix + entry.slot);
    if (value === undefined) return undefined;
    try {
      const parsed = JSON.parse(value) as { p: MessageProperties; b: string };
      return { seq: entry.seq, body: parsed.b, properties: parsed.p };
    } catch {
      return undefined;
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
      found.push({ seq: stored.seq, slot, size: value.length, expiry: stored.expiry, inFlight: false });
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
