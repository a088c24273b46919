/**
 * The QoS 1 offline outbox: telemetry waits here until the hub acknowledges it.
 *
 * Write-ahead: a message is stored before it is sent and deleted only when PUBACKed, so an
 * outage or a restart loses nothing within capacity. Bounded by count and bytes: when full,
 * the oldest message is dropped (counted as overflow). Messages older than their time to live
 * are dropped before sending (counted as expired). Sending is oldest first.
 *
 * Storage layout (small values, so ESP32 Preference works too):
 *   <prefix>m            "head,next,overflow,expired" — the index
 *   <prefix><seq>        one message: JSON {e: expiry epoch ms or 0, p: properties, b: body}
 * Sequence numbers between head and next may be absent (acknowledged out of order).
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
    const value = JSON.stringify({ e: expiry, p: properties, b: body });
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
    const seq = this.next++;
    // Write-ahead: the message, then the index that covers it.
    this.storage.set(this.prefix + seq, value);
    this.entries.push({ seq, size, expiry, inFlight: false });
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
      const message = this.read(entry.seq);
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
    this.storage.delete(this.prefix + entry.seq);
    this.bytes -= entry.size;
    this.entries.splice(i, 1);
  }

  private read(seq: number): OutboxMessage | undefined {
    const value = this.storage.get(this.prefix + seq);
    if (value === undefined) return undefined;
    try {
      const parsed = JSON.parse(value) as { p: MessageProperties; b: string };
      return { seq, body: parsed.b, properties: parsed.p };
    } catch {
      return undefined;
    }
  }

  private saveIndex(): void {
    const head = this.entries.length > 0 ? this.entries[0].seq : this.next;
    this.storage.set(this.prefix + 'm', `${head},${this.next},${this.overflowCount},${this.expiredCount}`);
  }

  /** Rebuilds the entries from storage after a restart; corrupt messages are deleted. */
  private load(): void {
    const index = this.storage.get(this.prefix + 'm');
    if (index === undefined) return;
    const parts = index.split(',').map((s) => Number(s));
    if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0)) return;
    const [head, next, overflow, expired] = parts;
    this.next = next;
    this.overflowCount = overflow;
    this.expiredCount = expired;
    for (let seq = head; seq < next; seq++) {
      const value = this.storage.get(this.prefix + seq);
      if (value === undefined) continue;
      let expiry = 0;
      try {
        expiry = (JSON.parse(value) as { e: number }).e;
      } catch {
        this.storage.delete(this.prefix + seq);
        continue;
      }
      this.entries.push({ seq, size: value.length, expiry: typeof expiry === 'number' ? expiry : 0, inFlight: false });
      this.bytes += value.length;
    }
    // A message written just before a crash, whose index update was lost, is beyond `next`.
    for (let seq = next; this.storage.get(this.prefix + seq) !== undefined; seq++) {
      const value = this.storage.get(this.prefix + seq) as string;
      this.entries.push({ seq, size: value.length, expiry: 0, inFlight: false });
      this.bytes += value.length;
      this.next = seq + 1;
    }
  }
}
