// Device-to-cloud events as a back end sees them: body plus system and application properties.
import type { Properties } from './rules';

export interface D2CEvent {
  sequenceNumber: number;
  deviceId: string;
  enqueuedTime: string;
  messageId: string;
  correlationId?: string;
  contentType?: string;
  contentEncoding?: string;
  /** application properties from the topic's property bag (system `$.` names removed) */
  properties: Properties;
  /** the body as UTF-8 text; `bodyBase64` carries the exact bytes */
  body: string;
  bodyBase64: string;
  /** the body parsed, when it is JSON */
  json?: unknown;
}

/** A bounded store per device: the oldest events fall off past `limit`. */
export class TelemetryStore {
  private readonly events = new Map<string, D2CEvent[]>();
  private sequence = 0;

  constructor(private readonly limit = 10_000) {}

  add(deviceId: string, messageId: string, body: Buffer, bag: Properties, enqueuedTime: Date): D2CEvent {
    const properties: Properties = {};
    for (const [k, v] of Object.entries(bag)) if (!k.startsWith('$.')) properties[k] = v;
    const text = body.toString('utf8');
    const ev: D2CEvent = {
      sequenceNumber: ++this.sequence,
      deviceId,
      enqueuedTime: enqueuedTime.toISOString(),
      messageId,
      ...(bag['$.cid'] ? { correlationId: bag['$.cid'] } : {}),
      ...(bag['$.ct'] ? { contentType: bag['$.ct'] } : {}),
      ...(bag['$.ce'] ? { contentEncoding: bag['$.ce'] } : {}),
      properties,
      body: text,
      bodyBase64: body.toString('base64'),
    };
    try {
      ev.json = JSON.parse(text);
    } catch {
      // not JSON: body and bodyBase64 carry it
    }
    let list = this.events.get(deviceId);
    if (!list) this.events.set(deviceId, (list = []));
    list.push(ev);
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    return ev;
  }

  /** The newest `limit` events, oldest first. */
  recent(deviceId: string, limit = 100): D2CEvent[] {
    const list = this.events.get(deviceId) ?? [];
    return list.slice(Math.max(0, list.length - limit));
  }

  delete(deviceId: string): void {
    this.events.delete(deviceId);
  }
}
