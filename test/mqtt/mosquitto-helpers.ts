/** Helpers for tests that run the MQTT client against real mosquitto (Node only). */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { NodeNetwork, type NodeConnection } from '../../hosts/node/network';
import { nodeClock, nodeRandom, nodeTimers } from '../../hosts/node/host';
import { MqttClient, type DisconnectReason, type MqttClientOptions, type ClientError } from '../../src/mqtt/client';
import type { Properties } from '../../src/mqtt/packets';
import type { ConnectionHandlers, ConnectOptions, Network } from '../../src/platform';

/** NodeNetwork that remembers when each attempt started and keeps the connections (to destroy them). */
export class TrackingNetwork implements Network {
  readonly attempts: number[] = [];
  readonly connections: NodeConnection[] = [];
  /** When set, sees every chunk the client writes (to decode what went on the wire). */
  sniff: ((bytes: Uint8Array) => void) | undefined;
  private readonly inner = new NodeNetwork({ connectTimeoutMs: 5_000 });

  connect(options: ConnectOptions, handlers: ConnectionHandlers): NodeConnection {
    this.attempts.push(performance.now());
    const c = this.inner.connect(options, handlers);
    const write = c.write.bind(c);
    c.write = (data: Uint8Array): boolean => {
      this.sniff?.(data);
      return write(data);
    };
    this.connections.push(c);
    return c;
  }

  get last(): NodeConnection {
    return this.connections[this.connections.length - 1];
  }
}

export interface Received {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  dup: boolean;
  /** 5.0 properties, copied. */
  properties?: Properties;
}

/** An MqttClient on the Node host plus everything it reported, with a way to wait for it. */
export class Harness {
  readonly client: MqttClient;
  readonly network = new TrackingNetwork();
  readonly messages: Received[] = [];
  readonly errors: ClientError[] = [];
  readonly disconnects: DisconnectReason[] = [];
  readonly connects: boolean[] = [];
  /** 5.0 CONNACK properties per connection. */
  readonly connackProperties: (Properties | undefined)[] = [];
  readonly acked: { id: number; token: unknown; reasonCode: number }[] = [];
  readonly subacks: number[][] = [];
  readonly scheduled: { delayMs: number; reason: DisconnectReason }[] = [];
  private waiters: (() => void)[] = [];

  constructor(options: MqttClientOptions) {
    this.client = new MqttClient(options, { clock: nodeClock, timers: nodeTimers, random: nodeRandom, network: this.network }, {
      onConnected: (present, properties) =>
        this.push(() => {
          this.connackProperties.push(properties);
          this.connects.push(present);
        }),
      onDisconnected: (reason) => this.push(() => this.disconnects.push(reason)),
      onMessage: (topic, payload, info) =>
        this.push(() =>
          this.messages.push({ topic, payload: Buffer.from(payload), qos: info.qos, retain: info.retain, dup: info.dup, properties: copyProperties(info.properties) }),
        ),
      onPublishAcked: (id, token, reasonCode) => this.push(() => this.acked.push({ id, token, reasonCode })),
      onSubscribed: (_id, granted) => this.push(() => this.subacks.push(granted.slice())),
      onError: (error) => this.push(() => this.errors.push(error)),
      onReconnectScheduled: (delayMs, reason) => this.push(() => this.scheduled.push({ delayMs, reason })),
    });
  }

  private push(record: () => void): void {
    record();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once `condition()` holds; rejects after `timeoutMs` with `what`. */
  until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; errors=${JSON.stringify(this.errors)} disconnects=${JSON.stringify(this.disconnects)}`)), timeoutMs);
      const check = () => {
        if (condition()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  async connected(count = 1): Promise<void> {
    this.client.start();
    await this.until(() => this.connects.length >= count, `connection #${count}`);
  }
}

/** Properties are valid only during onMessage (binary values may be views): a deep enough copy. */
function copyProperties(p: Properties | undefined): Properties | undefined {
  if (p === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) out[k] = v instanceof Uint8Array ? Uint8Array.from(v) : Array.isArray(v) ? v.slice() : v;
  return out as Properties;
}

/** A TCP relay that can hold traffic in either direction and cut every connection at once. */
export class Proxy {
  port = 0;
  /** Drop client -> broker bytes while true. */
  blockUp = false;
  /** Drop broker -> client bytes while true. */
  blockDown = false;
  private readonly pairs: [net.Socket, net.Socket][] = [];
  private readonly server: net.Server;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      this.pairs.push([client, upstream]);
      client.on('data', (d) => {
        if (!this.blockUp) upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (!this.blockDown) client.write(d);
      });
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end);
      upstream.on('close', end);
      client.on('error', end);
      upstream.on('error', end);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Destroys every relayed connection (both sides see a reset). */
  cut(): void {
    for (const [a, b] of this.pairs.splice(0)) {
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((r) => this.server.close(() => r()));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Makes MQTT 5.0 harnesses against one broker's plain listener, each with a client identifier
 * unique to this process, and remembers them so `closeAll` (afterEach) closes them.
 */
export function v5Harnesses(broker: () => { host: string; plainPort: number }, prefix: string): { make: (options?: Partial<MqttClientOptions>) => Harness; closeAll: () => void } {
  const open: Harness[] = [];
  let serial = 0;
  return {
    make: (options = {}) => {
      const b = broker();
      const h = new Harness({
        host: b.host,
        port: b.plainPort,
        clientId: `${prefix}-${process.pid}-${++serial}`,
        protocolVersion: 5,
        keepAlive: 20,
        backoff: { minMs: 200, maxMs: 1000 },
        connectTimeoutMs: 5_000,
        ...options,
      });
      open.push(h);
      return h;
    },
    closeAll: () => {
      for (const h of open.splice(0)) h.client.close();
    },
  };
}

/**
 * Leaves a subscribed 5.0 session at the broker: connects as `clientId` with a 60 s Session
 * Expiry Interval, subscribes to `topic` at QoS 1, waits for the SUBACK and disconnects, so QoS 1
 * messages published meanwhile are queued for the session.
 */
export async function leaveSubscribedSession(make: (options: Partial<MqttClientOptions>) => Harness, clientId: string, topic: string): Promise<void> {
  const h = make({ clientId, cleanSession: false, sessionExpiryInterval: 60 });
  await h.connected();
  h.client.subscribeTo(topic, 1);
  await h.until(() => h.subacks.length === 1, 'SUBACK');
  h.client.close();
}
