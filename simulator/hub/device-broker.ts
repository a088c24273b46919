// The device-facing MQTT endpoint: aedes for the protocol, IoT Hub's rules and features on top.
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { authenticateDevice } from './auth';
import type { C2DInput, C2DMessage, C2DQueues } from './c2d-queue';
import type { MethodCalls, MethodResult } from './methods';
import { MethodError } from './methods';
import { destroy, peerThumbprints, sendTo, subscriptionQos, tapPackets, type RawPacket } from './mqtt-link';
import type { Registry } from './registry';
import { classifyDevicePublish, formatPropertyBag, isAllowedSubscription, LIMITS, SUBSCRIPTIONS, type DevicePublish } from './rules';
import type { TelemetryStore } from './telemetry-store';
import { TwinError, type Json, type TwinStore } from './twin-store';

export interface DeviceBrokerDeps {
  hostName: string;
  registry: Registry;
  twins: TwinStore;
  c2d: C2DQueues;
  methods: MethodCalls;
  telemetry: TelemetryStore;
  /** the hub's event stream: telemetry, connected, disconnected, refused, violation, twin, c2d, method */
  events: EventEmitter;
}

interface Conn {
  deviceId: string;
  method: 'sas' | 'x509';
  clean: boolean;
  expiry?: number;
  expiryTimer?: NodeJS.Timeout;
  subscriptions: Set<string>;
  /** seconds of silence after which the hub closes the connection */
  timeoutSeconds: number;
  closeReason?: string;
}

// setTimeout's ceiling; tokens valid longer than this are not timed
const MAX_TIMER_MS = 2 ** 31 - 1;

export class DeviceBroker {
  /** the authorized connection per device: a newer one replaces (and closes) the older */
  private readonly online = new Map<string, Client>();
  private readonly conns = new WeakMap<Client, Conn>();
  private readonly rawClientIds = new WeakMap<Client, string>();
  private readonly keepalives = new WeakMap<Client, number>();

  private constructor(
    readonly aedes: Aedes,
    private readonly deps: DeviceBrokerDeps,
  ) {}

  static async create(deps: DeviceBrokerDeps): Promise<DeviceBroker> {
    // the hooks need the instance, which needs the broker: bind late
    const ref: { self?: DeviceBroker } = {};
    const aedes = await Aedes.createBroker({
      // IoT Hub device ids reach 128 characters; aedes only applies this to MQTT 3.1
      maxClientsIdLength: 128,
      preConnect: (client, packet, cb) => {
        ref.self!.rawClientIds.set(client, packet.clientId);
        // IoT Hub times out at 1.5 x keepalive but never later than 1767 s (Azure load balancer idle
        // timeout); 1178 x 1.5 = 1767. keepalive 0 gets the same ceiling.
        if (!packet.keepalive || packet.keepalive > LIMITS.keepaliveSeconds) packet.keepalive = LIMITS.keepaliveSeconds + 1;
        ref.self!.keepalives.set(client, packet.keepalive);
        cb(null, true);
      },
      authenticate: (client, username, password, cb) => ref.self!.authenticate(client, username, password, cb),
      authorizePublish: (client, packet, cb) => ref.self!.authorizePublish(client, packet, cb),
      authorizeSubscribe: (client, sub, cb) => ref.self!.authorizeSubscribe(client, sub, cb),
    });
    const self = new DeviceBroker(aedes, deps);
    ref.self = self;
    self.wire();
    return self;
  }

  /** Serves one connection (TLS or, for tests, plain TCP). */
  handle(socket: Duplex): void {
    const client = this.aedes.handle(socket);
    tapPackets(client, (p) => this.onRawPacket(client, p));
  }

  isOnline(deviceId: string): boolean {
    return this.online.has(deviceId);
  }

  onlineDevices(): string[] {
    return [...this.online.keys()];
  }

  /** Closes the device's connection (device deleted or disabled). */
  disconnect(deviceId: string, reason: string): void {
    const client = this.online.get(deviceId);
    if (!client) return;
    const conn = this.conns.get(client);
    if (conn) conn.closeReason = reason;
    destroy(client, reason);
  }

  /** Forgets the session aedes keeps for a device (persisted subscriptions). */
  async forgetSession(deviceId: string): Promise<void> {
    const persistence = (this.aedes as unknown as { persistence: { cleanSubscriptions(c: { id: string }): Promise<unknown> } }).persistence;
    await persistence.cleanSubscriptions({ id: deviceId });
  }

  sendC2D(deviceId: string, input: C2DInput): C2DMessage {
    const msg = this.deps.c2d.enqueue(deviceId, input);
    this.deps.events.emit('c2d-queued', { deviceId, messageId: msg.messageId });
    this.deliverC2D(deviceId);
    return msg;
  }

  /** Pushes a desired-properties patch to the device if it listens; returns the new version. */
  updateDesired(deviceId: string, patch: unknown): number {
    const version = this.deps.twins.patch(deviceId, 'desired', patch);
    this.deps.events.emit('twin-desired', { deviceId, version, patch });
    const client = this.online.get(deviceId);
    const qos = client && subscriptionQos(client, SUBSCRIPTIONS.desired);
    if (client && qos !== undefined) {
      const body = JSON.stringify({ ...(patch as Record<string, Json>), $version: version });
      sendTo(client, `$iothub/twin/PATCH/properties/desired/?$version=${version}`, body, qos);
    }
    return version;
  }

  invokeMethod(deviceId: string, name: string, payload: Json, timeoutMs: number): Promise<MethodResult> {
    const client = this.online.get(deviceId);
    const qos = client && subscriptionQos(client, SUBSCRIPTIONS.methods);
    if (!client || qos === undefined) {
      return Promise.reject(new MethodError(404, 404103, `DeviceNotOnline: device ${deviceId} is not connected or not subscribed to ${SUBSCRIPTIONS.methods}`));
    }
    this.deps.events.emit('method-invoked', { deviceId, name, payload });
    return this.deps.methods.invoke(deviceId, timeoutMs, (rid) => {
      sendTo(client, `$iothub/methods/POST/${encodeURIComponent(name)}/?$rid=${rid}`, JSON.stringify(payload ?? null), qos);
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  private wire(): void {
    const { aedes } = this;
    aedes.on('clientReady', (client) => {
      const conn = this.conns.get(client);
      if (!conn) return;
      this.online.set(conn.deviceId, client);
      if (conn.expiry !== undefined) {
        const ms = conn.expiry * 1000 - Date.now();
        // IoT Hub closes the connection when its SAS token expires; devices must renew before that
        if (ms < MAX_TIMER_MS) {
          conn.expiryTimer = setTimeout(() => {
            conn.closeReason = 'SAS token expired';
            destroy(client, 'SAS token expired');
          }, Math.max(0, ms));
          conn.expiryTimer.unref();
        }
      }
      this.deps.events.emit('connected', { deviceId: conn.deviceId, clean: conn.clean, auth: conn.method, timeoutSeconds: conn.timeoutSeconds });
      this.deliverC2D(conn.deviceId);
    });
    aedes.on('clientError', (client, err) => {
      const conn = this.conns.get(client);
      if (conn && !conn.closeReason) conn.closeReason = err.message;
    });
    aedes.on('clientDisconnect', (client) => {
      const conn = this.conns.get(client);
      if (!conn) return;
      clearTimeout(conn.expiryTimer);
      if (this.online.get(conn.deviceId) !== client) return;
      this.online.delete(conn.deviceId);
      this.deps.c2d.release(conn.deviceId);
      this.deps.methods.abandon(conn.deviceId);
      this.deps.events.emit('disconnected', { deviceId: conn.deviceId, reason: conn.closeReason ?? 'connection closed' });
    });
    aedes.on('subscribe', (subs, client) => {
      const conn = this.conns.get(client);
      if (conn && subs.some((s) => s.topic === SUBSCRIPTIONS.c2d(conn.deviceId))) this.deliverC2D(conn.deviceId);
    });
    aedes.on('unsubscribe', (topics, client) => {
      const conn = this.conns.get(client);
      if (conn) for (const t of topics) conn.subscriptions.delete(t);
    });
  }

  private violation(client: Client, reason: string): Error {
    const conn = this.conns.get(client);
    if (conn && !conn.closeReason) conn.closeReason = reason;
    this.deps.events.emit('violation', { deviceId: conn?.deviceId ?? client.id, reason });
    return new Error(reason);
  }

  private onRawPacket(client: Client, p: RawPacket): void {
    const conn = this.conns.get(client);
    if (p.cmd === 'publish' && p.qos === 2) {
      // IoT Hub closes the network connection on a QoS 2 publish
      this.violation(client, 'QoS 2 publish is not supported');
      destroy(client, 'QoS 2 publish');
    } else if (p.cmd === 'subscribe' && p.subscriptions) {
      if (p.subscriptions.length > LIMITS.subscriptions) {
        this.violation(client, `SUBSCRIBE with ${p.subscriptions.length} topics: at most ${LIMITS.subscriptions}`);
        destroy(client, 'too many subscriptions');
        return;
      }
      // IoT Hub grants at most QoS 1
      for (const s of p.subscriptions) if (s.qos > 1) s.qos = 1;
    } else if (p.cmd === 'puback' && conn && p.messageId !== undefined) {
      const done = this.deps.c2d.complete(conn.deviceId, p.messageId);
      if (done) this.deps.events.emit('c2d-completed', { deviceId: conn.deviceId, messageId: done.messageId });
    }
  }

  private authenticate(client: Client, username: string | undefined, password: Buffer | undefined, cb: (error: AuthenticateError | null, success: boolean | null) => void): void {
    const result = authenticateDevice(
      { clientId: this.rawClientIds.get(client) ?? '', username, password, peer: peerThumbprints(client) },
      this.deps.registry,
      this.deps.hostName,
      Math.floor(Date.now() / 1000),
    );
    if (!result.ok) {
      this.deps.events.emit('refused', { clientId: this.rawClientIds.get(client) ?? '', returnCode: result.returnCode, reason: result.reason });
      cb(Object.assign(new Error(result.reason), { returnCode: result.returnCode }) as AuthenticateError, null);
      return;
    }
    this.conns.set(client, { deviceId: result.deviceId, method: result.method, clean: client.clean, subscriptions: new Set(), timeoutSeconds: Math.floor((this.keepalives.get(client) ?? 0) * 1.5), ...(result.expiry !== undefined ? { expiry: result.expiry } : {}) });
    // CleanSession=1 ends the previous session: queued C2D messages are not delivered to it
    if (client.clean) this.deps.c2d.purge(result.deviceId);
    cb(null, true);
  }

  private authorizePublish(client: Client | null, packet: { topic: string; qos: number; retain: boolean; payload: Buffer | string }, cb: (error?: Error | null) => void): void {
    const conn = client && this.conns.get(client);
    if (!client || !conn) return cb(new Error('not a device connection'));
    // aedes publishes the will after the connection has closed
    const isWill = client.closed;
    const kind = classifyDevicePublish(conn.deviceId, packet.topic);
    if (!kind) return cb(isWill ? new Error('will topic is not a telemetry topic') : this.violation(client, `publish to ${packet.topic} is not allowed for device ${conn.deviceId}`));
    if (isWill && kind.kind !== 'telemetry') return cb(new Error('will topic is not a telemetry topic'));
    if (packet.qos === 2) return cb(this.violation(client, 'QoS 2 publish is not supported'));
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (payload.length > LIMITS.d2cBytes) return cb(this.violation(client, `message of ${payload.length} bytes exceeds ${LIMITS.d2cBytes}`));
    const retained = packet.retain;
    // IoT Hub keeps no retained messages; it forwards them with an mqtt-retain property
    packet.retain = false;
    cb(null);
    // after aedes has written the PUBACK
    setImmediate(() => this.dispatch(client, conn, kind, payload, { retained, isWill }));
  }

  private authorizeSubscribe(client: Client, sub: { topic: string; qos: number }, cb: (error: Error | null, subscription?: { topic: string; qos: 0 | 1 } | null) => void): void {
    const conn = this.conns.get(client);
    if (!conn) return cb(new Error('not a device connection'));
    if (!isAllowedSubscription(conn.deviceId, sub.topic)) return cb(this.violation(client, `subscription to ${sub.topic} is not allowed for device ${conn.deviceId}`));
    conn.subscriptions.add(sub.topic);
    if (conn.subscriptions.size > LIMITS.subscriptions) return cb(this.violation(client, `more than ${LIMITS.subscriptions} subscriptions`));
    cb(null, { topic: sub.topic, qos: sub.qos >= 1 ? 1 : 0 });
  }

  private dispatch(client: Client, conn: Conn, kind: DevicePublish, payload: Buffer, flags: { retained: boolean; isWill: boolean }): void {
    const { deviceId } = conn;
    switch (kind.kind) {
      case 'telemetry': {
        const bag = { ...kind.properties };
        if (flags.retained) bag['mqtt-retain'] = 'true';
        if (flags.isWill) bag['iothub-MessageType'] = 'Will';
        const ev = this.deps.telemetry.add(deviceId, bag['$.mid'] ?? randomUUID(), payload, bag, new Date());
        this.deps.events.emit('telemetry', ev);
        break;
      }
      case 'twin-get':
        this.twinResponse(client, 200, kind.rid, JSON.stringify(this.deps.twins.deviceView(deviceId)));
        break;
      case 'twin-reported': {
        let patch: unknown;
        try {
          patch = JSON.parse(payload.toString('utf8'));
        } catch {
          this.twinResponse(client, 400, kind.rid, JSON.stringify({ errorCode: 400004, message: 'malformed JSON' }));
          break;
        }
        try {
          const version = this.deps.twins.patch(deviceId, 'reported', patch);
          this.twinResponse(client, 204, kind.rid, '', version);
          this.deps.events.emit('twin-reported', { deviceId, version, patch });
        } catch (e) {
          const status = e instanceof TwinError ? e.status : 500;
          this.twinResponse(client, status, kind.rid, JSON.stringify({ errorCode: status * 1000 + 4, message: (e as Error).message }));
        }
        break;
      }
      case 'method-response':
        if (this.deps.methods.respond(deviceId, kind.rid, kind.status, payload)) this.deps.events.emit('method-response', { deviceId, rid: kind.rid, status: kind.status });
        break;
    }
  }

  private twinResponse(client: Client, status: number, rid: string, body: string, version?: number): void {
    const qos = subscriptionQos(client, SUBSCRIPTIONS.twinResponses);
    if (qos === undefined) return;
    sendTo(client, `$iothub/twin/res/${status}/?$rid=${encodeURIComponent(rid)}${version !== undefined ? `&$version=${version}` : ''}`, body, qos);
  }

  private deliverC2D(deviceId: string): void {
    const client = this.online.get(deviceId);
    const qos = client && subscriptionQos(client, SUBSCRIPTIONS.c2d(deviceId));
    if (!client || qos === undefined) return;
    const { c2d } = this.deps;
    for (const msg of c2d.pending(deviceId)) {
      if (!c2d.beginDelivery(msg)) continue;
      const bag = formatPropertyBag({ '$.mid': msg.messageId, '$.to': `/devices/${deviceId}/messages/deviceBound`, ...msg.properties });
      const packetId = sendTo(client, `devices/${deviceId}/messages/devicebound/${bag}`, msg.body, qos);
      // QoS 0 completes on send; QoS 1 stays locked until the PUBACK
      if (packetId === undefined) c2d.remove(deviceId, msg);
      else msg.packetId = packetId;
      this.deps.events.emit('c2d-sent', { deviceId, messageId: msg.messageId, qos });
    }
  }
}
