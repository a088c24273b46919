/**
 * IoT Hub device client over the MQTT client (src/mqtt/client.ts): telemetry, cloud-to-device
 * messages, device twin and direct methods, with SAS or X.509 authentication.
 *
 * What it adds to plain MQTT, following the hub's rules:
 * - identity: client id = deviceId[/moduleId], username `{hub}/{clientId}/?api-version=...`,
 *   CleanSession=0 (queued C2D survives), keepalive <= 1177 s, QoS 1 publishes, no retain;
 * - SAS: the password is a fresh token made at each connection attempt; at 80% of its lifetime
 *   a planned reconnect presents a new one. The MQTT session (unacknowledged QoS 1 publishes,
 *   subscriptions) is kept across it, so no telemetry is lost;
 * - twin: requests correlated by $rid with a timeout; a full twin GET after every (re)connect,
 *   since patches sent while the device was offline are not replayed, delivered whatever its
 *   version (a re-created twin starts again at 1); patches delivered in version order within
 *   the connection (stale ones ignored, a gap triggers a resync): ./desired-order;
 * - methods: handlers by name; an unknown method answers 404, a handler that throws 500, one
 *   that does not answer within methodTimeoutMs 504 (its late answer is dropped).
 */
import type { Clock, Crypto, Network, Random, TimerId, Timers, TlsOptions } from '../platform';
import type { BackoffOptions } from '../mqtt/backoff';
import {
  MqttClient,
  type ClientError,
  type ClientState,
  type DisconnectReason,
  type MqttClientEvents,
  type MqttClientOptions,
} from '../mqtt/client';
import type { Subscription } from '../mqtt/packets';
import { PUBLISH_INVALID, PUBLISH_REJECTED, type PublishOptions } from '../mqtt/session';
import { parseConnectionString, type DeviceConnectionString } from './connection-string';
import { DesiredOrder, NO_VERSION, type DesiredDelivery } from './desired-order';
import {
  DEFAULT_KEEPALIVE_S,
  HUB_PORT,
  MAX_C2D_MESSAGE_BYTES,
  MAX_C2D_TOPIC_BYTES,
  MAX_D2C_MESSAGE_BYTES,
  MAX_KEEPALIVE_S,
  MAX_SUBSCRIPTIONS,
} from './limits';
import type { C2dProperties, MessageProperties } from './properties';
import { rootCaPems } from './root-cas';
import { buildSasToken, DEFAULT_SAS_LIFETIME_S, hubResourceUri, sasExpiry, sasRenewalDelayMs } from './sas';
import type { Secret } from './secret';
import { transportNetwork, type TransportNetwork, type TransportOptions } from './transport';
import {
  c2dSubscription,
  hubClientId,
  hubUsername,
  methodResponseTopic,
  METHODS_SUBSCRIPTION,
  parseC2dTopic,
  parseDesiredPatchTopic,
  parseMethodRequest,
  parseTwinResponse,
  telemetryTopic,
  twinGetTopic,
  twinPatchReportedTopic,
  TWIN_DESIRED_SUBSCRIPTION,
  TWIN_RESPONSE_SUBSCRIPTION,
} from './topics';
import { decodeUtf8OrThrow, encodeUtf8, nativeUtf8Encoder, utf8Length } from '../text/utf8';

export type HubErrorCode =
  | 'MESSAGE_TOO_LARGE' // D2C over 256 KB, refused before sending
  | 'QUEUE_FULL' // the MQTT in-flight window and queue are full
  | 'INVALID' // the MQTT layer refused the message (topic or size)
  | 'TIMEOUT' // no twin response within operationTimeoutMs
  | 'TWIN_ERROR' // the hub answered a twin request with an error status
  | 'BAD_RESPONSE' // a hub response that could not be read
  | 'TOO_LARGE' // a hub message or response larger than maxIncomingPacketSize
  | 'CLOSED' // close() was called while the operation was pending
  | 'CONFIG'; // invalid options

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    readonly code: HubErrorCode,
    message: string,
    /** The hub's status for TWIN_ERROR. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** What the MQTT layer must offer; MqttClient does. Tests substitute a fake. */
export interface HubMqtt {
  readonly state: ClientState;
  start(): void;
  publish(topic: string, payload: Uint8Array, options: PublishOptions): number;
  subscribe(subscriptions: Subscription[]): number;
  reconnect(credentials?: { username?: string; password?: MqttClientOptions['password'] }): void;
  close(): void;
}

export type HubMqttFactory = (options: MqttClientOptions, events: MqttClientEvents) => HubMqtt;

/** The parts of the Host the hub client uses. */
export interface HubClientHost {
  clock: Clock;
  timers: Timers;
  network: Network;
  random: Random;
  crypto: Crypto;
}

/**
 * Where and how to connect. `transport` (./transport): 'mqtts' (default) dials `port`, 'wss'
 * dials `wssPort` (default 443) with MQTT over WebSockets at `/$iothub/websocket`, 'auto' tries
 * `port` first and moves to `wssPort` for good once that connect is refused or times out.
 */
export interface HubEndpoint extends TransportOptions {
  /** Where to connect. Default: GatewayHostName, else HostName. */
  host?: string;
  /** Default 8883. */
  port?: number;
  /**
   * TLS settings merged over the defaults (IoT Hub's bundled roots, TLS 1.2 minimum, the X.509
   * client certificate). `false`: plain TCP, for a local emulator only.
   */
  tls?: Partial<TlsOptions> | false;
}

export interface HubClientOptions {
  /** A device connection string, or one already parsed. */
  connectionString: string | DeviceConnectionString;
  /** Client certificate and key (PEM) when the connection string says x509=true. */
  x509?: { cert: string; key: string };
  endpoint?: HubEndpoint;
  /** SAS token lifetime, seconds (default 3600); renewed at 80%. */
  sasLifetimeS?: number;
  /**
   * Longest a SAS renewal waits, checking every second, for telemetry in flight to be
   * acknowledged, ms (at most 10% of the lifetime). A message in flight at the planned reconnect
   * is resent after it and reaches the hub twice (billed twice). Default 0: renew on time.
   */
  renewalWaitMs?: number;
  /** Seconds, at most 1177 (IoT Hub's limit). Default 240. */
  keepAliveS?: number;
  /** Twin GET/PATCH response timeout. Default 30 s. */
  operationTimeoutMs?: number;
  /** A method handler must answer within this, or the hub is told 504. Default 30 s. */
  methodTimeoutMs?: number;
  /** Delay before retrying a failed twin resync. Default 10 s. */
  resyncRetryMs?: number;
  /** Which downstream features to subscribe to (each costs one of the hub's 5 subscriptions). Default: all. */
  features?: { c2d?: boolean; twin?: boolean; methods?: boolean };
  /** Unacknowledged QoS 1 publishes at once. Default 10. */
  inflightWindow?: number;
  /** Publishes queued behind the window (while offline too). Default 1000. */
  maxQueued?: number;
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  /**
   * Largest MQTT packet taken whole from the hub, bytes (a device's RAM bound; default: IoT
   * Hub's own limits, C2D 64 KB). A larger C2D message is delivered without its body (C2dHandler's
   * `oversize`) and completed; a larger method request is answered 413; a larger twin response
   * or desired patch fails with TOO_LARGE (reported through onError), and the hub keeps it.
   */
  maxIncomingPacketSize?: number;
  /** Substitutes the MQTT layer (tests). Default: MqttClient over the host. */
  mqtt?: HubMqttFactory;
}

/** A desired-properties update: a patch, or after a resync the whole desired document (./desired-order). */
export type DesiredUpdate = DesiredDelivery;

export interface Twin {
  desired: Record<string, unknown>;
  reported: Record<string, unknown>;
}

export interface MethodResult {
  /** HTTP-like status returned to the caller, e.g. 200, 400. */
  status: number;
  /** Any JSON value (default null). */
  payload?: unknown;
}

export interface MethodRequestInfo {
  name: string;
  rid: string;
}

/** Called with the request's JSON payload (parsed; the raw text when it is not JSON). */
export type MethodHandler = (payload: unknown, request: MethodRequestInfo) => MethodResult | Promise<MethodResult>;

/** `oversize`: the message was larger than maxIncomingPacketSize (its size in bytes); body is empty. */
export type C2dHandler = (body: Uint8Array, properties: C2dProperties, oversize?: number) => void;
export type DesiredHandler = (update: DesiredUpdate) => void;

export interface HubClientEvents {
  onConnected?(sessionPresent: boolean): void;
  onDisconnected?(reason: DisconnectReason): void;
  /** Connection failures, refused credentials, protocol errors, unreadable hub messages. Never contains secrets. */
  onError?(error: { code: string; message: string }): void;
}

interface PendingTwin {
  resolve(response: { status: number; version: number | undefined; body: string }): void;
  reject(error: HubError): void;
  timer: TimerId;
}

/** Told once per publishTelemetry(): without an error after the PUBACK, or why the message was not delivered. */
export type TelemetryDone = (error?: HubError) => void;

export class HubClient {
  readonly deviceId: string;
  readonly moduleId: string | undefined;
  readonly hostName: string;

  private readonly mqtt: HubMqtt;
  private readonly network: TransportNetwork;
  private readonly identity: DeviceConnectionString;
  private readonly sasLifetimeS: number;
  private readonly renewalWaitMs: number;
  private readonly operationTimeoutMs: number;
  private readonly methodTimeoutMs: number;
  private readonly resyncRetryMs: number;
  private readonly twinEnabled: boolean;
  private readonly telemetryPrefixNoProps: string;

  private started = false;
  private closed = false;
  private tokenIssuedAt: number | undefined;
  private renewalTimer: TimerId | undefined;
  private resyncTimer: TimerId | undefined;

  private nextRid = 1;
  /**
   * publishTelemetry() callbacks waiting for their PUBACK, in no order. Each is its message's
   * MQTT token, so an acknowledgement finds it with no map and no per-message record.
   */
  private readonly waiting: TelemetryDone[] = [];
  /** Reused for every telemetry publish (the session reads it during the call). */
  private readonly telemetryOptions: PublishOptions = { qos: 1, retain: false, token: undefined };
  /** The last property set sent, by identity, and its topic and the topic's UTF-8 length. */
  private topicProperties: MessageProperties | undefined;
  private topicText = '';
  private topicBytes = 0;
  private readonly twinRequests = new Map<string, PendingTwin>();

  private c2dHandler: C2dHandler | undefined;
  private desiredHandler: DesiredHandler | undefined;
  private readonly methods = new Map<string, MethodHandler>();

  /** Desired-property ordering within the current connection. */
  private readonly order = new DesiredOrder();

  constructor(
    options: HubClientOptions,
    private readonly host: HubClientHost,
    private readonly events: HubClientEvents = {},
  ) {
    const id = typeof options.connectionString === 'string' ? parseConnectionString(options.connectionString) : options.connectionString;
    this.identity = id;
    this.deviceId = id.deviceId;
    this.moduleId = id.moduleId;
    this.hostName = id.hostName;
    if (id.auth === 'x509' && !options.x509) {
      throw new HubError('CONFIG', 'the connection string says x509=true: pass options.x509 with the client certificate and key');
    }
    const keepAlive = options.keepAliveS ?? DEFAULT_KEEPALIVE_S;
    if (!(keepAlive >= 1 && keepAlive <= MAX_KEEPALIVE_S)) {
      throw new HubError('CONFIG', `keepAliveS must be 1..${MAX_KEEPALIVE_S} (IoT Hub's limit), got ${keepAlive}`);
    }
    this.sasLifetimeS = options.sasLifetimeS ?? DEFAULT_SAS_LIFETIME_S;
    this.renewalWaitMs = Math.max(0, Math.min(options.renewalWaitMs ?? 0, this.sasLifetimeS * 100));
    if (!(Number.isInteger(this.sasLifetimeS) && this.sasLifetimeS >= 60)) {
      throw new HubError('CONFIG', 'sasLifetimeS must be a whole number of seconds, at least 60');
    }
    this.operationTimeoutMs = options.operationTimeoutMs ?? 30_000;
    this.methodTimeoutMs = options.methodTimeoutMs ?? 30_000;
    this.resyncRetryMs = options.resyncRetryMs ?? 10_000;
    this.telemetryPrefixNoProps = telemetryTopic(id.deviceId, id.moduleId);

    const features = options.features ?? {};
    const subscriptions: Subscription[] = [];
    // C2D is for devices only; a module identity cannot subscribe to it.
    if (features.c2d !== false && id.moduleId === undefined) subscriptions.push({ topicFilter: c2dSubscription(id.deviceId), qos: 1 });
    this.twinEnabled = features.twin !== false;
    if (this.twinEnabled) {
      subscriptions.push({ topicFilter: TWIN_RESPONSE_SUBSCRIPTION, qos: 0 });
      subscriptions.push({ topicFilter: TWIN_DESIRED_SUBSCRIPTION, qos: 0 });
    }
    if (features.methods !== false) subscriptions.push({ topicFilter: METHODS_SUBSCRIPTION, qos: 0 });
    if (subscriptions.length > MAX_SUBSCRIPTIONS) throw new HubError('CONFIG', `IoT Hub allows at most ${MAX_SUBSCRIPTIONS} subscriptions`);

    const endpoint = options.endpoint ?? {};
    let tls: TlsOptions | undefined;
    if (endpoint.tls !== false) {
      tls = { ca: rootCaPems(), minVersion: 'TLSv1.2', ...(options.x509 ? { cert: options.x509.cert, key: options.x509.key } : {}), ...(endpoint.tls ?? {}) };
    }
    const mqttOptions: MqttClientOptions = {
      host: endpoint.host ?? id.gatewayHostName ?? id.hostName,
      port: endpoint.port ?? HUB_PORT,
      tls,
      clientId: hubClientId(id.deviceId, id.moduleId),
      cleanSession: false,
      keepAlive,
      username: hubUsername(id.hostName, id.deviceId, id.moduleId),
      password: id.auth === 'sas' ? () => this.makePassword() : undefined,
      inflightWindow: options.inflightWindow,
      maxQueued: options.maxQueued,
      // Outbound D2C up to 256 KB plus topic and headers; inbound C2D up to 64 KB plus its topic.
      maxPacketSize: Math.max(MAX_D2C_MESSAGE_BYTES, MAX_C2D_MESSAGE_BYTES + MAX_C2D_TOPIC_BYTES) + 1024,
      maxIncomingPacketSize: options.maxIncomingPacketSize,
      connectTimeoutMs: options.connectTimeoutMs,
      backoff: options.backoff,
    };
    const mqttEvents: MqttClientEvents = {
      onConnected: (sessionPresent) => this.connected(sessionPresent, subscriptions),
      onDisconnected: (reason) => this.disconnected(reason),
      onMessage: (topic, payload, info) => this.message(topic, payload, info.oversize),
      onPublishAcked: (_id, token) => {
        // acked() inlined: this runs once per telemetry message.
        if (typeof token !== 'function') return;
        const waiting = this.waiting;
        const i = waiting.indexOf(token as TelemetryDone);
        if (i < 0) return;
        // Order does not matter: the last one takes the freed place (no array allocated).
        waiting[i] = waiting[waiting.length - 1];
        waiting.length--;
        (token as TelemetryDone)();
      },
      onError: (error: ClientError) => this.events.onError?.(error),
    };
    this.network = transportNetwork(host.network, host, endpoint, (message) => new HubError('CONFIG', message));
    const mqttHost = { clock: host.clock, timers: host.timers, random: host.random, network: this.network };
    const factory = options.mqtt ?? ((o, e) => new MqttClient(o, mqttHost, e));
    this.mqtt = factory(mqttOptions, mqttEvents);
    this.mqtt.subscribe(subscriptions);
  }

  /** 'idle' before start() and after close(); then 'connecting' | 'connected' | 'waiting'. */
  get state(): ClientState {
    return this.mqtt.state;
  }

  /** The transport the next (or current) connection uses; 'auto' starts on 'mqtts'. */
  get transport(): 'mqtts' | 'wss' {
    return this.network.current;
  }

  /**
   * Connects, and keeps reconnecting until close(). With SAS, throws SasError when the host's
   * real-time clock is not synced yet (tokens need the real time).
   */
  start(): void {
    if (this.closed) throw new HubError('CLOSED', 'this client was closed; create a new one');
    if (this.started) return;
    if (this.identity.auth === 'sas') sasExpiry(this.host.clock, this.sasLifetimeS); // fail fast, clearly
    this.started = true;
    this.mqtt.start();
  }

  /** Disconnects for good. Pending operations reject with CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer('renewalTimer');
    this.clearTimer('resyncTimer');
    this.mqtt.close();
    const closed = new HubError('CLOSED', 'the hub client was closed');
    const waiting = this.waiting.splice(0, this.waiting.length);
    for (const done of waiting) done(closed);
    for (const r of this.twinRequests.values()) {
      this.host.timers.clear(r.timer);
      r.reject(closed);
    }
    this.twinRequests.clear();
  }

  // ---- telemetry ------------------------------------------------------------------------

  /**
   * Sends a device-to-cloud message (QoS 1). Resolves when the hub acknowledged it (PUBACK);
   * while offline it waits in the MQTT queue. Strings are sent as UTF-8. Do not modify `body`
   * until the promise settles. (publishTelemetry without the promise.)
   */
  sendTelemetry(body: Uint8Array | string, properties?: MessageProperties): Promise<void> {
    return new Promise<void>((resolve, reject) => this.publishTelemetry(body, properties, (error) => (error === undefined ? resolve() : reject(error))));
  }

  /**
   * Sends a device-to-cloud message (QoS 1) and calls `done` once: without an error when the
   * hub acknowledged it (PUBACK, during the call that handed the PUBACK over), or with the
   * HubError saying why not: INVALID (a lone surrogate in `body`, a topic the MQTT layer
   * refuses), MESSAGE_TOO_LARGE (body and properties over IoT Hub's 256 KB), QUEUE_FULL, CLOSED
   * (now or by close() later). A refusal is told in a later microtask, never during this call, so
   * a caller may resend from `done` without looping. While offline the message waits in the MQTT
   * queue. Do not modify `body` (bytes) until `done`.
   *
   * Steady state per message (bench/mqtt-session.ts): no promise, no closure, no map entry; the
   * topic is built once per property set (pass the same `properties` object again: it is
   * recognised by identity) and a string body is encoded by the engine's TextEncoder.
   */
  publishTelemetry(body: Uint8Array | string, properties: MessageProperties | undefined, done: TelemetryDone): void {
    let topic = this.topicText;
    let topicBytes = this.topicBytes;
    let payload: Uint8Array;
    try {
      if (properties !== this.topicProperties || topic === '') {
        topic = properties ? telemetryTopic(this.deviceId, this.moduleId, properties) : this.telemetryPrefixNoProps;
        topicBytes = utf8Length(topic);
        this.topicProperties = properties;
        this.topicText = topic;
        this.topicBytes = topicBytes;
      }
      payload = typeof body === 'string' ? utf8Payload(body) : body;
    } catch (e) {
      return refuse(done, new HubError('INVALID', `telemetry message not sent: ${e instanceof Error ? e.message : String(e)}`));
    }
    const size = payload.length + topicBytes;
    if (size > MAX_D2C_MESSAGE_BYTES) {
      return refuse(done, new HubError('MESSAGE_TOO_LARGE', `telemetry message is ${size} bytes (body and properties); IoT Hub accepts at most ${MAX_D2C_MESSAGE_BYTES}`));
    }
    if (this.closed) return refuse(done, new HubError('CLOSED', 'the hub client was closed'));
    const options = this.telemetryOptions;
    options.token = done;
    const result = this.mqtt.publish(topic, payload, options);
    options.token = undefined;
    if (result === PUBLISH_REJECTED) return refuse(done, new HubError('QUEUE_FULL', 'the outgoing queue is full; retry later'));
    if (result === PUBLISH_INVALID || result < -1) return refuse(done, new HubError('INVALID', 'the MQTT layer refused the message'));
    const waiting = this.waiting;
    waiting[waiting.length] = done;
  }

  // ---- cloud-to-device ------------------------------------------------------------------

  /** Sets the C2D handler. The body is a copy the handler may keep. */
  onC2D(handler: C2dHandler | undefined): void {
    this.c2dHandler = handler;
  }

  // ---- twin -----------------------------------------------------------------------------

  /** Sets the desired-properties handler: updates arrive in version order. */
  onDesired(handler: DesiredHandler | undefined): void {
    this.desiredHandler = handler;
  }

  /** Version of the last desired state delivered, or undefined before the first resync. */
  get desiredPropertiesVersion(): number | undefined {
    return this.order.version === NO_VERSION ? undefined : this.order.version;
  }

  /** Reads the whole twin. */
  async getTwin(): Promise<Twin> {
    const response = await this.twinRequest((rid) => twinGetTopic(rid), new Uint8Array(0));
    return parseTwin(response.body);
  }

  /** Patches reported properties; resolves with the hub's status (204) and the new reported $version. */
  async patchReported(patch: Record<string, unknown>): Promise<{ status: number; version: number | undefined }> {
    const response = await this.twinRequest((rid) => twinPatchReportedTopic(rid), encodeUtf8(JSON.stringify(patch)));
    return { status: response.status, version: response.version };
  }

  // ---- methods --------------------------------------------------------------------------

  /** Registers (or with undefined removes) the handler for method `name`. */
  onMethod(name: string, handler: MethodHandler | undefined): void {
    if (handler) this.methods.set(name, handler);
    else this.methods.delete(name);
  }

  // ---- internals ------------------------------------------------------------------------

  private makePassword(): string | undefined {
    const key = this.identity.sharedAccessKey as Secret;
    try {
      const expiry = sasExpiry(this.host.clock, this.sasLifetimeS);
      this.tokenIssuedAt = this.host.clock.now();
      return buildSasToken(this.host.crypto, { resourceUri: hubResourceUri(this.hostName, this.deviceId, this.moduleId), key, expiry });
    } catch (e) {
      // Connecting without a token makes the hub refuse; the MQTT layer then waits its longest backoff.
      this.events.onError?.({ code: 'SAS', message: e instanceof Error ? e.message : String(e) });
      this.tokenIssuedAt = undefined;
      return undefined;
    }
  }

  private connected(sessionPresent: boolean, subscriptions: Subscription[]): void {
    // A present session should still hold our subscriptions, but IoT Hub does not promise it
    // for twin and methods; subscribing again is idempotent and cheap.
    if (sessionPresent) this.mqtt.subscribe(subscriptions);
    this.armRenewal();
    // Versions are compared within a connection only: this one's full GET is the new base.
    this.order.newConnection();
    if (this.twinEnabled) this.resync();
    this.events.onConnected?.(sessionPresent);
  }

  private disconnected(reason: DisconnectReason): void {
    this.clearTimer('renewalTimer');
    this.clearTimer('resyncTimer');
    this.events.onDisconnected?.(reason);
  }

  private armRenewal(): void {
    this.clearTimer('renewalTimer');
    if (this.identity.auth !== 'sas' || this.tokenIssuedAt === undefined) return;
    const due = this.tokenIssuedAt + sasRenewalDelayMs(this.sasLifetimeS);
    this.renewalTimer = this.host.timers.set(() => this.renew(0), Math.max(0, due - this.host.clock.now()));
  }

  /**
   * The planned reconnect with a new token. A telemetry message still unacknowledged would be
   * resent after it and reach the hub twice (billed twice), so the renewal waits for its PUBACK,
   * one second at a time, at most renewalWaitMs (the token has 20% of its life left).
   */
  private renew(waitedMs: number): void {
    this.renewalTimer = undefined;
    if (this.closed) return;
    if (this.waiting.length > 0 && waitedMs < this.renewalWaitMs) {
      this.renewalTimer = this.host.timers.set(() => this.renew(waitedMs + 1000), 1000);
      return;
    }
    // The password function makes the new token; the session and its in-flight publishes stay.
    this.mqtt.reconnect();
  }

  private clearTimer(which: 'renewalTimer' | 'resyncTimer'): void {
    const id = this[which];
    if (id !== undefined) this.host.timers.clear(id);
    this[which] = undefined;
  }

  /** `oversize` > 0: the message was too large to take (its size); the payload is empty. */
  private message(topic: string, payload: Uint8Array, oversize: number): void {
    const c = topic.charCodeAt(0);
    try {
      if (c === 36 /* $ */) {
        const twin = parseTwinResponse(topic);
        if (twin) return this.twinResponse(twin.rid, twin.status, twin.version, payload, oversize);
        const desired = parseDesiredPatchTopic(topic);
        if (desired) {
          if (oversize > 0) return this.tooLarge(`desired properties patch version ${desired.version}`, oversize);
          return this.desiredPatch(desired.version, payload);
        }
        const method = parseMethodRequest(topic);
        if (method) {
          if (oversize > 0) return this.respond(413, method.rid, { error: `request of ${oversize} bytes is larger than this device takes` });
          return this.methodRequest(method.name, method.rid, payload);
        }
      } else {
        const c2d = parseC2dTopic(topic);
        if (c2d) {
          if (oversize > 0) this.c2dHandler?.(new Uint8Array(0), c2d.properties, oversize);
          else this.c2dHandler?.(payload.slice(), c2d.properties);
          return;
        }
      }
    } catch (e) {
      // A malformed hub message, or an exception from an application handler.
      this.events.onError?.({ code: 'BAD_MESSAGE', message: `error handling the message on ${topic}: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private twinRequest(topicFor: (rid: string) => string, body: Uint8Array): Promise<{ status: number; version: number | undefined; body: string }> {
    if (this.closed) return Promise.reject(new HubError('CLOSED', 'the hub client was closed'));
    if (!this.twinEnabled) return Promise.reject(new HubError('CONFIG', 'twin is disabled in options.features'));
    const rid = String(this.nextRid++);
    return new Promise((resolve, reject) => {
      const timer = this.host.timers.set(() => {
        if (this.twinRequests.delete(rid)) reject(new HubError('TIMEOUT', `no twin response within ${this.operationTimeoutMs} ms`));
      }, this.operationTimeoutMs);
      this.twinRequests.set(rid, {
        timer,
        reject,
        resolve: (response) => {
          if (response.status >= 200 && response.status < 300) resolve(response);
          else reject(new HubError('TWIN_ERROR', `the hub answered the twin request with status ${response.status}`, response.status));
        },
      });
      const result = this.mqtt.publish(topicFor(rid), body, { qos: 1, retain: false });
      if (result === PUBLISH_REJECTED || result === PUBLISH_INVALID || result < -1) {
        this.host.timers.clear(timer);
        this.twinRequests.delete(rid);
        reject(new HubError(result === PUBLISH_REJECTED ? 'QUEUE_FULL' : 'INVALID', 'the twin request could not be queued'));
      }
    });
  }

  private tooLarge(what: string, size: number): void {
    this.events.onError?.({ code: 'TOO_LARGE', message: `${what}: ${size} bytes is larger than this device takes` });
  }

  private twinResponse(rid: string, status: number, version: number | undefined, payload: Uint8Array, oversize: number): void {
    const pending = this.twinRequests.get(rid);
    if (!pending) return; // timed out, or not ours
    this.twinRequests.delete(rid);
    this.host.timers.clear(pending.timer);
    if (oversize > 0) return pending.reject(new HubError('TOO_LARGE', `twin response of ${oversize} bytes is larger than this device takes`));
    pending.resolve({ status, version, body: payload.length === 0 ? '' : decodeUtf8OrThrow(payload) });
  }

  /** Full twin GET after a (re)connect or a version gap; patches meanwhile are held. */
  private resync(): void {
    if (this.order.resyncing || this.closed) return;
    this.order.beginResync();
    this.clearTimer('resyncTimer');
    this.twinRequest((rid) => twinGetTopic(rid), new Uint8Array(0)).then(
      (response) => {
        let twin: Twin;
        try {
          twin = parseTwin(response.body);
        } catch (e) {
          this.order.resyncFailed();
          this.events.onError?.({ code: 'BAD_RESPONSE', message: `twin document: ${(e as Error).message}` });
          this.retryResync();
          return;
        }
        const version = twin.desired.$version;
        if (typeof version !== 'number') {
          this.order.resyncFailed();
          this.events.onError?.({ code: 'BAD_RESPONSE', message: 'twin document has no desired $version' });
          this.retryResync();
          return;
        }
        const desired = { ...twin.desired };
        delete desired.$version;
        this.deliver(this.order.fullDocument(version, desired));
      },
      (error: HubError) => {
        this.order.resyncFailed();
        if (error.code === 'CLOSED') return;
        this.events.onError?.({ code: error.code === 'TOO_LARGE' ? 'TOO_LARGE' : 'TWIN_RESYNC', message: `twin resync failed: ${error.message}` });
        // A twin too large now is as large in 10 s: the next connect tries again.
        if (error.code !== 'TOO_LARGE') this.retryResync();
      },
    );
  }

  private retryResync(): void {
    if (this.closed || this.mqtt.state !== 'connected') return; // the next connect resyncs anyway
    this.clearTimer('resyncTimer');
    this.resyncTimer = this.host.timers.set(() => {
      this.resyncTimer = undefined;
      this.resync();
    }, this.resyncRetryMs);
  }

  private desiredPatch(version: number | undefined, payload: Uint8Array): void {
    if (version === undefined) throw new Error('desired patch without $version');
    const patch = JSON.parse(decodeUtf8OrThrow(payload)) as Record<string, unknown>;
    if (patch === null || typeof patch !== 'object') throw new Error('desired patch is not a JSON object');
    delete patch.$version;
    const outcome = this.order.patch(version, patch);
    this.deliver(outcome.deliver);
    if (outcome.resync) this.resync();
  }

  private deliver(updates: DesiredDelivery[]): void {
    for (const u of updates) this.desiredHandler?.(u);
  }

  private methodRequest(name: string, rid: string, payload: Uint8Array): void {
    const handler = this.methods.get(name);
    if (!handler) {
      this.respond(404, rid, { error: `method '${name}' is not implemented by this device` });
      return;
    }
    const text = payload.length === 0 ? '' : decodeUtf8OrThrow(payload);
    let argument: unknown = undefined;
    if (text !== '') {
      try {
        argument = JSON.parse(text);
      } catch {
        argument = text;
      }
    }
    let answered = false;
    const timer = this.host.timers.set(() => {
      if (answered) return;
      answered = true;
      this.respond(504, rid, { error: `method '${name}' did not answer within ${this.methodTimeoutMs} ms` });
    }, this.methodTimeoutMs);
    const finish = (status: number, body: unknown): void => {
      if (answered) return; // too late: the timeout already answered
      answered = true;
      this.host.timers.clear(timer);
      this.respond(status, rid, body);
    };
    const failed = (e: unknown): void => finish(500, { error: `method '${name}' failed: ${e instanceof Error ? e.message : String(e)}` });
    let result: MethodResult | Promise<MethodResult>;
    try {
      result = handler(argument, { name, rid });
    } catch (e) {
      failed(e);
      return;
    }
    const settle = (r: MethodResult): void => {
      if (!r || typeof r.status !== 'number' || !Number.isInteger(r.status)) failed(new Error('handler returned no integer status'));
      else finish(r.status, r.payload === undefined ? null : r.payload);
    };
    if (result && typeof (result as Promise<MethodResult>).then === 'function') (result as Promise<MethodResult>).then(settle, failed);
    else settle(result as MethodResult);
  }

  private respond(status: number, rid: string, body: unknown): void {
    if (this.closed) return;
    let json: string;
    try {
      json = JSON.stringify(body) ?? 'null';
    } catch {
      status = 500;
      json = '{"error":"method result is not JSON-serializable"}';
    }
    this.mqtt.publish(methodResponseTopic(status, rid), encodeUtf8(json), { qos: 1, retain: false });
  }
}

function parseTwin(text: string): Twin {
  const doc = JSON.parse(text) as { desired?: unknown; reported?: unknown } | null;
  if (doc === null || typeof doc !== 'object' || typeof doc.desired !== 'object' || doc.desired === null) {
    throw new HubError('BAD_RESPONSE', 'twin document without desired properties');
  }
  const reported = typeof doc.reported === 'object' && doc.reported !== null ? doc.reported : {};
  return { desired: doc.desired as Record<string, unknown>, reported: reported as Record<string, unknown> };
}

/**
 * The engine's TextEncoder, for telemetry bodies: in XS a native encode costs ~30 computrons
 * where the hand-written walk costs two per character (bench/mqtt-session.ts). Stateless and
 * frozen (nativeUtf8Encoder), so safe at module level.
 */
const encoder = nativeUtf8Encoder();

/**
 * `text` as UTF-8. Throws on a lone surrogate, which has no UTF-8 form: encodeURIComponent
 * refuses exactly those (ECMA-262 Encode, URIError) natively, while TextEncoder would replace one
 * (V8) or write it as CESU-8 (XS).
 */
function utf8Payload(text: string): Uint8Array {
  if (encoder === undefined) return encodeUtf8(text);
  try {
    encodeURIComponent(text);
  } catch {
    throw new RangeError('lone surrogate in text');
  }
  return encoder.encode(text);
}

/** Tells `done` of a refusal in a later microtask, so the caller's send call returns first. */
function refuse(done: TelemetryDone, error: HubError): void {
  void Promise.resolve().then(() => done(error));
}
