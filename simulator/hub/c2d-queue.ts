// Per-device cloud-to-device queues: bounded depth and size, TTL, delivery count, lock until PUBACK.
import { randomUUID } from 'node:crypto';
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
  /** seconds; default the hub's default TTL */
  ttlSeconds?: number;
}

export class C2DError extends Error {
  constructor(public readonly status: number, public readonly errorCode: number, message: string) {
    super(message);
  }
}

const MAX_DELIVERY_COUNT = 10;

export class C2DQueues {
  private readonly queues = new Map<string, C2DMessage[]>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly defaultTtlSeconds = 3600,
  ) {}

  enqueue(deviceId: string, input: C2DInput): C2DMessage {
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
      expiresAt: this.now() + (input.ttlSeconds ?? this.defaultTtlSeconds) * 1000,
      deliveryCount: 0,
    };
    queue.push(msg);
    this.queues.set(deviceId, queue);
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
    if (i >= 0) q.splice(i, 1);
  }

  /** The connection ended: unacknowledged messages become deliverable again. */
  release(deviceId: string): void {
    for (const m of this.queues.get(deviceId) ?? []) delete m.packetId;
  }

  purge(deviceId: string): number {
    const n = this.queues.get(deviceId)?.length ?? 0;
    this.queues.delete(deviceId);
    return n;
  }

  private live(deviceId: string): C2DMessage[] {
    const t = this.now();
    const q = (this.queues.get(deviceId) ?? []).filter((m) => m.expiresAt > t);
    this.queues.set(deviceId, q);
    return q;
  }
}
