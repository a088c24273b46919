// Per-device cloud-to-device queues: bounded depth and size, TTL, delivery count, lock until PUBACK.
// With a directory, each device's queue is a file there, rewritten atomically on every change
// and reloaded at start (expired messages dropped), so messages outlive an emulator restart as
// they outlive an IoT Hub restart: until they expire or are completed.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeJson } from './json-file';
import { LIMITS, type Properties } from './rules';

export interface C2DMessage {
  messageId: string;
  deviceId: string;
  body: Buffer;
  /** application properties and user-settable system properties ($.cid, $.ct, $.ce, ...) */
  properties: Properties;
  enqueuedTime: string;
  expiresAt: number;
  deliveryCount: number;
  /** MQTT packet id while delivered and awaiting PUBACK */
  packetId?: number;
}

export interface C2DInput {
  body: Buffer;
  properties?: Properties;
  messageId?: string;
  correlationId?: string;
  contentType?: string;
  contentEncoding?: string;
  /** seconds, LIMITS.c2dTtlSeconds (60 s to 2 days); default the hub's default TTL */
  ttlSeconds?: number;
}

export class C2DError extends Error {
  constructor(public readonly status: number, public readonly errorCode: number, message: string) {
    super(message);
  }
}

const MAX_DELIVERY_COUNT = 10;

/** A TTL outside [min, LIMITS.c2dTtlSeconds.max] is refused: it would never be queued, or never expire. */
function checkTtl(ttlSeconds: number, min: number): void {
  const max = LIMITS.c2dTtlSeconds.max;
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds < min || ttlSeconds > max) {
    throw new C2DError(400, 400004, `ArgumentInvalid: ttlSeconds must be between ${min} and ${max} (IoT Hub: 1 minute to 2 days), got ${String(ttlSeconds)}`);
  }
}

/** A queued message as stored: the body in base64, no packet id (that belongs to a connection). */
interface StoredMessage {
  messageId: string;
  body: string;
  properties: Properties;
  enqueuedTime: string;
  expiresAt: number;
  deliveryCount: number;
}

interface StoredQueue {
  deviceId: string;
  messages: StoredMessage[];
}

/** A file name for any device id (IoT Hub ids may hold `*`, `?`, `:` ...). */
function fileName(deviceId: string): string {
  return encodeURIComponent(deviceId).replace(/[!'()*.]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) + '.json';
}

export class C2DQueues {
  private readonly queues = new Map<string, C2DMessage[]>();
  private readonly unsaved = new Set<string>();

  /**
   * `dir`: where the queues persist (one file per device); absent: in memory only.
   * `minTtlSeconds`: the shortest TTL accepted (default IoT Hub's 60 s; tests lower it to see expiry).
   */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly defaultTtlSeconds = 3600,
    private readonly dir?: string,
    private readonly minTtlSeconds: number = LIMITS.c2dTtlSeconds.min,
  ) {
    checkTtl(defaultTtlSeconds, minTtlSeconds);
    if (dir !== undefined) this.load(dir);
  }

  /** Queues a message; C2DError 400 (TTL out of range), 403 (queue full) or 413 (too large). */
  enqueue(deviceId: string, input: C2DInput): C2DMessage {
    const ttlSeconds = input.ttlSeconds ?? this.defaultTtlSeconds;
    checkTtl(ttlSeconds, this.minTtlSeconds);
    const queue = this.live(deviceId);
    if (queue.length >= LIMITS.c2dQueueDepth) {
      throw new C2DError(403, 403004, `DeviceMaximumQueueDepthExceeded: device ${deviceId} already has ${queue.length} messages queued (limit ${LIMITS.c2dQueueDepth})`);
    }
    const properties: Properties = { ...(input.properties ?? {}) };
    if (input.correlationId !== undefined) properties['$.cid'] = input.correlationId;
    if (input.contentType !== undefined) properties['$.ct'] = input.contentType;
    if (input.contentEncoding !== undefined) properties['$.ce'] = input.contentEncoding;
    const size = input.body.length + Object.entries(properties).reduce((n, [k, v]) => n + k.length + (v?.length ?? 0), 0);
    if (size > LIMITS.c2dBytes) throw new C2DError(413, 413002, `MessageTooLarge: ${size} bytes exceeds ${LIMITS.c2dBytes}`);
    const msg: C2DMessage = {
      messageId: input.messageId ?? randomUUID(),
      deviceId,
      body: input.body,
      properties,
      enqueuedTime: new Date(this.now()).toISOString(),
      expiresAt: this.now() + ttlSeconds * 1000,
      deliveryCount: 0,
    };
    queue.push(msg);
    this.queues.set(deviceId, queue);
    this.save(deviceId);
    return msg;
  }

  /** Messages not yet handed to the current connection, oldest first. */
  pending(deviceId: string): C2DMessage[] {
    return this.live(deviceId).filter((m) => m.packetId === undefined);
  }

  list(deviceId: string): C2DMessage[] {
    return this.live(deviceId);
  }

  /** Counts a delivery attempt; false (and the message is dead-lettered) past the maximum delivery count. */
  beginDelivery(msg: C2DMessage): boolean {
    if (msg.deliveryCount >= MAX_DELIVERY_COUNT) {
      this.remove(msg.deviceId, msg);
      return false;
    }
    msg.deliveryCount++;
    // Not written per delivery (a reconnect delivers up to 50 at once): the count goes to disk
    // with the queue's next change (the PUBACK's removal) or at flush().
    if (this.dir !== undefined) this.unsaved.add(msg.deviceId);
    return true;
  }

  /** The device PUBACKed `packetId`: the message is complete. */
  complete(deviceId: string, packetId: number): C2DMessage | undefined {
    const msg = this.queues.get(deviceId)?.find((m) => m.packetId === packetId);
    if (msg) this.remove(deviceId, msg);
    return msg;
  }

  remove(deviceId: string, msg: C2DMessage): void {
    const q = this.queues.get(deviceId);
    if (!q) return;
    const i = q.indexOf(msg);
    if (i >= 0) {
      q.splice(i, 1);
      this.save(deviceId);
    }
  }

  /** The connection ended: unacknowledged messages become deliverable again. */
  release(deviceId: string): void {
    for (const m of this.queues.get(deviceId) ?? []) delete m.packetId;
  }

  purge(deviceId: string): number {
    const n = this.queues.get(deviceId)?.length ?? 0;
    this.queues.delete(deviceId);
    if (n > 0) this.save(deviceId);
    return n;
  }

  private live(deviceId: string): C2DMessage[] {
    const t = this.now();
    const all = this.queues.get(deviceId) ?? [];
    const q = all.filter((m) => m.expiresAt > t);
    this.queues.set(deviceId, q);
    if (q.length !== all.length) this.save(deviceId);
    return q;
  }

  /** Writes one device's queue (temp file + rename); an empty queue removes its file. */
  private save(deviceId: string): void {
    if (this.dir === undefined) return;
    this.unsaved.delete(deviceId);
    const path = join(this.dir, fileName(deviceId));
    const q = this.queues.get(deviceId) ?? [];
    if (q.length === 0) {
      rmSync(path, { force: true });
      return;
    }
    const stored: StoredQueue = {
      deviceId,
      messages: q.map((m) => ({ messageId: m.messageId, body: m.body.toString('base64'), properties: m.properties, enqueuedTime: m.enqueuedTime, expiresAt: m.expiresAt, deliveryCount: m.deliveryCount })),
    };
    writeJson(path, stored);
  }

  /** Reloads every stored queue, dropping expired messages; unreadable files are skipped. */
  private load(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const t = this.now();
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      let stored: StoredQueue;
      try {
        stored = JSON.parse(readFileSync(join(dir, name), 'utf8')) as StoredQueue;
      } catch {
        continue;
      }
      if (typeof stored?.deviceId !== 'string' || !Array.isArray(stored.messages) || fileName(stored.deviceId) !== name) continue;
      const q: C2DMessage[] = [];
      for (const m of stored.messages) {
        if (!(m.expiresAt > t) || typeof m.body !== 'string' || q.length >= LIMITS.c2dQueueDepth) continue;
        q.push({ messageId: String(m.messageId), deviceId: stored.deviceId, body: Buffer.from(m.body, 'base64'), properties: m.properties ?? {}, enqueuedTime: String(m.enqueuedTime), expiresAt: m.expiresAt, deliveryCount: Number(m.deliveryCount) || 0 });
      }
      this.queues.set(stored.deviceId, q);
      if (q.length !== stored.messages.length) this.save(stored.deviceId);
    }
  }

  /** Writes the queues whose delivery counts changed since their last write (at stop). */
  flush(): void {
    for (const deviceId of [...this.unsaved]) this.save(deviceId);
  }
}
