/**
 * Test doubles for the hub client: simulated time (monotonic + epoch clock and timers) and a
 * fake MQTT layer that records what the client asks of it and lets the test play the hub.
 */
import { createHmac } from 'node:crypto';
import type { MqttClientEvents, MqttClientOptions, ClientState } from '../../src/mqtt/client';
import type { Subscription } from '../../src/mqtt/packets';
import { PUBLISH_QUEUED, PUBLISH_REJECTED, type PublishOptions } from '../../src/mqtt/session';
import type { HubClientHost, HubMqtt } from '../../src/iothub/hub-client';
import type { Crypto, TimerId } from '../../src/platform';

export const nodeCrypto: Crypto = {
  hmacSha256: (key, data) => new Uint8Array(createHmac('sha256', key).update(data).digest()),
};

interface SimTimer {
  id: number;
  at: number;
  callback: () => void;
}

/** Lets promise callbacks run (several hops of .then chains). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

export class SimTime {
  now = 0;
  /** undefined: the real-time clock is not synced. */
  epochAtZero: number | undefined = Date.UTC(2025, 0, 1);
  private timers: SimTimer[] = [];
  private nextId = 1;

  readonly clock = { now: () => this.now, epochMs: () => (this.epochAtZero === undefined ? undefined : this.epochAtZero + this.now) };
  readonly timerApi = {
    set: (callback: () => void, delayMs: number): TimerId => {
      const t = { id: this.nextId++, at: this.now + Math.max(0, delayMs), callback };
      this.timers.push(t);
      return t.id;
    },
    clear: (id: TimerId): void => {
      this.timers = this.timers.filter((t) => t.id !== id);
    },
  };

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    await settle();
    for (;;) {
      let next: SimTimer | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.now = next.at;
      next.callback();
      await settle();
    }
    this.now = end;
  }

  host(): HubClientHost {
    return {
      clock: this.clock,
      timers: this.timerApi,
      network: { connect: () => { throw new Error('the fake MQTT layer opens no connections'); } },
      random: { next: () => 0.5 },
      crypto: nodeCrypto,
    };
  }
}

export interface Published {
  topic: string;
  payload: string;
  options: PublishOptions;
}

/** A fake MqttClient: the test connects it, delivers messages and acknowledges publishes. */
export class FakeMqtt implements HubMqtt {
  state: ClientState = 'idle';
  readonly published: Published[] = [];
  readonly subscribeCalls: Subscription[][] = [];
  /** Passwords presented at each connect (SAS tokens). */
  readonly passwords: (string | undefined)[] = [];
  reconnects = 0;
  closed = false;
  rejectPublishes = false;
  /** Unacknowledged QoS 1 publishes, kept across reconnects like the real session. */
  readonly unacked: { token: unknown; topic: string }[] = [];

  constructor(readonly options: MqttClientOptions, readonly events: MqttClientEvents) {}

  start(): void {
    if (this.state === 'idle') this.state = 'connecting';
  }

  publish(topic: string, payload: Uint8Array, options: PublishOptions): number {
    if (this.rejectPublishes) return PUBLISH_REJECTED;
    this.published.push({ topic, payload: Buffer.from(payload).toString('utf8'), options });
    if (options.qos === 1) this.unacked.push({ token: options.token, topic });
    return this.state === 'connected' ? this.published.length : PUBLISH_QUEUED;
  }

  subscribe(subscriptions: Subscription[]): number {
    this.subscribeCalls.push(subscriptions);
    return 0;
  }

  reconnect(): void {
    this.reconnects++;
    if (this.state === 'connected') this.events.onDisconnected?.({ code: 'RECONNECT', message: 'planned reconnect' });
    this.state = 'connecting';
  }

  close(): void {
    this.closed = true;
    this.state = 'idle';
  }

  /** Completes a connection attempt: takes the password as the real client would, then CONNACK. */
  connect(sessionPresent = false): void {
    const p = this.options.password;
    const value = typeof p === 'function' ? p() : p;
    this.passwords.push(typeof value === 'string' ? value : value === undefined ? undefined : Buffer.from(value).toString());
    this.state = 'connected';
    this.events.onConnected?.(sessionPresent);
  }

  drop(): void {
    this.state = 'waiting';
    this.events.onDisconnected?.({ code: 'CONNECTION_LOST', message: 'lost' });
  }

  /** PUBACK for the oldest unacknowledged publish matching `topicPrefix`. */
  ack(topicPrefix = ''): void {
    const i = this.unacked.findIndex((u) => u.topic.startsWith(topicPrefix));
    if (i < 0) throw new Error(`nothing unacknowledged on ${topicPrefix}`);
    const [u] = this.unacked.splice(i, 1);
    this.events.onPublishAcked?.(1, u.token, 0);
  }

  deliver(topic: string, payload: string | object = ''): void {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    this.events.onMessage?.(topic, new Uint8Array(Buffer.from(text)), { qos: 0, retain: false, dup: false, oversize: 0 });
  }

  /** Published messages whose topic starts with `prefix`. */
  sent(prefix: string): Published[] {
    return this.published.filter((p) => p.topic.startsWith(prefix));
  }

  /** The $rid of the last publish on `prefix`. */
  lastRid(prefix: string): string {
    const all = this.sent(prefix);
    const topic = all[all.length - 1]?.topic ?? '';
    const m = /\$rid=([^&]*)/.exec(topic);
    if (!m) throw new Error(`no request on ${prefix}`);
    return m[1];
  }
}
