/**
 * MQTT connection policy: a thin layer that drives a Session with the Host's clock, timers and
 * network. It opens the transport, bounds the wait for CONNACK, keeps the keepalive timer, and
 * reconnects with exponential backoff and jitter. Refused credentials (CONNACK 4/5) wait the
 * backoff ceiling, so a wrong key never turns into a tight reconnect loop against the broker.
 *
 * One timer serves keepalive: it fires at the session's deadline, calls tick(), and re-arms.
 * Traffic almost always moves the deadline later, so the timer is re-armed only when a deadline
 * comes earlier than the armed one (after a PINGRESP), never per message.
 */
import type { Clock, Connection, ConnectionError, Network, Random, Timers, TimerId, TlsOptions } from '../platform';
import { Backoff, type BackoffOptions } from './backoff';
import type { Properties, ProtocolError, ProtocolVersion, QoS, SubackCode, Subscription, Will } from './packets';
import type { SessionV5Options } from './session-v5';
import {
  Session,
  type CloseReason,
  type ConnectCredentials,
  type MessageInfo,
  type PublishOptions,
} from './session';
import { utf8Length, writeUtf8 } from '../text/utf8';

export type Password = string | Uint8Array;

/** The 5.0 options (protocolVersion 5) are SessionOptions' (sessionExpiryInterval, receiveMaximum, ...). */
export interface MqttClientOptions extends SessionV5Options {
  host: string;
  /** 4 (MQTT 3.1.1, the default) or 5 (MQTT 5.0). */
  protocolVersion?: ProtocolVersion;
  port: number;
  /** Present: connect over TLS (verification is always on). */
  tls?: TlsOptions;
  clientId: string;
  /** Default true. */
  cleanSession?: boolean;
  /** Seconds; default 60. */
  keepAlive?: number;
  will?: Will;
  username?: string;
  /** A function is called on every connection attempt (e.g. a SAS token that renews). */
  password?: Password | (() => Password | undefined);
  /** Default 10. */
  inflightWindow?: number;
  maxQueued?: number;
  maxPacketSize?: number;
  /** See SessionOptions.maxIncomingPacketSize: larger PUBLISHes arrive without payload, marked oversize. */
  maxIncomingPacketSize?: number;
  /** A sent QoS 1/2 message unacknowledged this long ends the connection (and is resent). Default 30 s; 0 disables. */
  ackTimeoutMs?: number;
  /** How long a PINGREQ may go unanswered before the connection is dead. Default keepAlive / 4 (at most keepAlive / 2). */
  pingTimeoutMs?: number;
  /** From opening the transport to CONNACK. Default 30 s. */
  connectTimeoutMs?: number;
  /** Reconnect delays; defaults 1 s .. 100 s, full jitter. */
  backoff?: BackoffOptions;
}

/** The parts of the Host the client uses. */
export interface MqttClientHost {
  clock: Clock;
  timers: Timers;
  network: Network;
  random: Random;
}

/** Errors reported by the client: protocol errors, transport errors, CONNACK_TIMEOUT. */
export interface ClientError {
  code: string;
  message: string;
}

export interface DisconnectReason {
  /**
   * A session CloseCode (SERVER_DISCONNECT: a 5.0 server's DISCONNECT), a transport code
   * (ECONNREFUSED, TLS_CERT_UNTRUSTED, CLOSED, ...) or CONNACK_TIMEOUT.
   */
  code: string;
  message: string;
  /** 5.0: the reason code of the server's DISCONNECT (or refusing CONNACK). */
  reasonCode?: number;
  /** 5.0: that packet's properties (reason string, server reference). */
  properties?: Properties;
}

/**
 * 5.0 DISCONNECT reason codes after which reconnecting at once would only repeat the problem,
 * so the next attempt waits the backoff ceiling: Not authorized, Session taken over (two devices
 * with one client id would otherwise take the session from each other in a tight loop), Message
 * rate too high, Quota exceeded, Connection rate exceeded.
 */
const WAIT_CEILING_AFTER: readonly number[] = Object.freeze([0x87, 0x8e, 0x96, 0x97, 0x9f]);

export interface MqttClientEvents {
  onConnected?(sessionPresent: boolean, properties?: Properties): void;
  /** A connection that reached CONNACK ended. */
  onDisconnected?(reason: DisconnectReason): void;
  onMessage?(topic: string, payload: Uint8Array, info: MessageInfo): void;
  /** reasonCode: 0 delivered (always in 3.1.1); 5.0 >= 0x80: refused by the server. */
  onPublishAcked?(packetId: number, token: unknown, reasonCode: number): void;
  onSubscribed?(packetId: number, granted: SubackCode[]): void;
  onUnsubscribed?(packetId: number, reasonCodes?: number[]): void;
  onError?(error: ClientError): void;
  /** The next attempt starts in `delayMs`. */
  onReconnectScheduled?(delayMs: number, reason: DisconnectReason): void;
}

export type ClientState = 'idle' | 'connecting' | 'connected' | 'waiting';

export class MqttClient {
  readonly session: Session;
  private readonly backoff: Backoff;
  private phase: ClientState = 'idle';
  private connection: Connection | undefined;
  /** Counts attempts; callbacks of an older attempt compare and stay silent. */
  private attempt = 0;
  private connectTimer: TimerId | undefined;
  private keepaliveTimer: TimerId | undefined;
  private keepaliveAt = Infinity;
  /** The attempt the keepalive timer was armed in (a timer of an older attempt does nothing). */
  private keepaliveAttempt = 0;
  private retryTimer: TimerId | undefined;
  /** Set before ending a connection on purpose, read by the session's onClose. */
  private override: DisconnectReason | undefined;
  private reconnectNow = false;
  private everConnected = false;
  private readonly connectTimeoutMs: number;
  /** The session's acknowledgement timeout (SessionOptions.ackTimeoutMs), ms; 0: none. */
  private readonly ackTimeoutMs: number;
  /** session.pingResponses when the keepalive timer was last considered. */
  private pingResponses = 0;
  private username: string | undefined;
  private password: MqttClientOptions['password'];

  constructor(
    private readonly options: MqttClientOptions,
    private readonly host: MqttClientHost,
    private readonly events: MqttClientEvents = {},
  ) {
    this.username = options.username;
    this.password = options.password;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.ackTimeoutMs = Math.max(0, options.ackTimeoutMs ?? 30_000);
    this.backoff = new Backoff(options.backoff ?? {}, host.random);
    this.session = new Session(
      {
        clientId: options.clientId,
        cleanSession: options.cleanSession,
        keepAlive: options.keepAlive,
        will: options.will,
        inflightWindow: options.inflightWindow,
        maxQueued: options.maxQueued,
        maxPacketSize: options.maxPacketSize,
        maxIncomingPacketSize: options.maxIncomingPacketSize,
        ackTimeoutMs: options.ackTimeoutMs,
        pingTimeoutMs: options.pingTimeoutMs,
        protocolVersion: options.protocolVersion,
        sessionExpiryInterval: options.sessionExpiryInterval,
        receiveMaximum: options.receiveMaximum,
        topicAliasMaximum: options.topicAliasMaximum,
        outboundTopicAliases: options.outboundTopicAliases,
        requestResponseInformation: options.requestResponseInformation,
        requestProblemInformation: options.requestProblemInformation,
        userProperties: options.userProperties,
        auth: options.auth,
      },
      {
        onSend: (bytes) => this.connection?.write(bytes),
        onConnected: (sessionPresent, properties) => this.connected(sessionPresent, properties),
        onMessage: (topic, payload, info) => this.events.onMessage?.(topic, payload, info),
        // Handed straight to the application's handler (bound once): one call less per message.
        onPublishAcked: events.onPublishAcked ? events.onPublishAcked.bind(events) : undefined,
        onSubscribed: (id, granted) => this.events.onSubscribed?.(id, granted),
        onUnsubscribed: (id, reasonCodes) => this.events.onUnsubscribed?.(id, reasonCodes),
        onError: (error: ProtocolError) => this.events.onError?.(error),
        onClose: (reason) => this.sessionClosed(reason),
      },
    );
  }

  get state(): ClientState {
    return this.phase;
  }

  /** Starts connecting (and reconnecting until close()). */
  start(): void {
    if (this.phase === 'idle') this.open();
  }

  publish(topic: string, payload: Uint8Array, options: PublishOptions): number {
    const session = this.session;
    const wasIdle = session.inflightCount === 0;
    const now = this.host.clock.now();
    const result = session.publish(topic, payload, options, now);
    // Only the first message in flight can bring the acknowledgement deadline forward: any later
    // one was sent later. Its deadline is now + ackTimeout: a timer armed no later than that
    // stays (armKeepalive would only compute the session's deadline to find so).
    if (wasIdle && this.ackTimeoutMs > 0 && options.qos > 0 && this.phase === 'connected' && !(this.keepaliveTimer !== undefined && this.keepaliveAt <= now + this.ackTimeoutMs)) {
      this.armKeepalive();
    }
    return result;
  }

  /** 5.0: `subscriptionIdentifier` comes back in the properties of the messages it matches. */
  subscribe(subscriptions: Subscription[], subscriptionIdentifier?: number): number {
    return this.session.subscribe(subscriptions, this.host.clock.now(), subscriptionIdentifier);
  }

  /** Convenience for one filter. */
  subscribeTo(topicFilter: string, qos: QoS): number {
    return this.subscribe([{ topicFilter, qos }]);
  }

  unsubscribe(topicFilters: string[]): number {
    return this.session.unsubscribe(topicFilters, this.host.clock.now());
  }

  /**
   * A planned reconnect, e.g. with a renewed SAS token: disconnects cleanly (DISCONNECT, so no
   * will) and connects again at once with the new credentials. The session (unacknowledged
   * publishes, subscriptions) is kept; with CleanSession=0 the broker keeps its side too.
   */
  reconnect(credentials?: { username?: string; password?: MqttClientOptions['password'] }): void {
    if (credentials) {
      if ('username' in credentials) this.username = credentials.username;
      if ('password' in credentials) this.password = credentials.password;
    }
    if (this.phase === 'idle') return;
    this.backoff.reset();
    if (this.phase === 'waiting') {
      this.host.timers.clear(this.retryTimer);
      this.retryTimer = undefined;
      this.open();
      return;
    }
    this.reconnectNow = true;
    this.override = { code: 'RECONNECT', message: 'planned reconnect' };
    if (this.session.state === 'disconnected') this.attemptEnded(this.override);
    else this.session.disconnect(this.host.clock.now());
  }

  /**
   * 5.0: re-authenticates on the open connection through the `auth` hook (AUTH 0x19 Re-authenticate,
   * MQTT 5.0 section 4.12.1), e.g. before a token expires. The server answers AUTH 0x00 (the hook's
   * done()), or refuses with a DISCONNECT (0x87 Not authorized...), which ends the connection like
   * any server DISCONNECT: onDisconnected and the reconnect policy see its reason code. False when
   * not connected, in MQTT 3.1.1, or without `auth`.
   */
  reauthenticate(): boolean {
    return this.phase === 'connected' && this.session.reauthenticate(this.host.clock.now());
  }

  /**
   * Disconnects cleanly and stops reconnecting. 5.0: the DISCONNECT's reason code (0x00, the
   * default, discards the will; 0x04 Disconnect with Will Message has the server publish it) and
   * properties (reasonString, userProperties, a sessionExpiryInterval: Session.disconnect).
   */
  close(reasonCode = 0, properties?: Properties): void {
    if (this.phase === 'idle') return;
    this.host.timers.clear(this.retryTimer);
    this.retryTimer = undefined;
    const wasConnected = this.phase === 'connected';
    this.phase = 'idle';
    this.override = { code: 'DISCONNECTED', message: 'closed by the application' };
    if (this.session.state !== 'disconnected') this.session.disconnect(this.host.clock.now(), reasonCode, properties);
    this.teardown();
    this.override = undefined;
    if (wasConnected) this.events.onDisconnected?.({ code: 'DISCONNECTED', message: 'closed by the application' });
  }

  // ---- attempts -------------------------------------------------------------------------

  private open(): void {
    const attempt = ++this.attempt;
    this.phase = 'connecting';
    this.override = undefined;
    this.everConnected = false;
    const { timers, clock } = this.host;
    this.connectTimer = timers.set(() => {
      if (attempt !== this.attempt) return;
      this.connectTimer = undefined;
      this.fail({ code: 'CONNACK_TIMEOUT', message: `no CONNACK within ${this.connectTimeoutMs} ms` });
    }, this.connectTimeoutMs);
    this.connection = this.host.network.connect(
      { host: this.options.host, port: this.options.port, tls: this.options.tls },
      {
        onConnect: () => {
          if (attempt !== this.attempt) return;
          this.session.connect(this.credentials(), clock.now());
        },
        onData: (data) => {
          if (attempt !== this.attempt) return;
          const session = this.session;
          session.receive(data, clock.now());
          // A PINGRESP can bring the next ping forward; anything else received only moves the
          // deadlines later (a timer that fires early finds nothing due and re-arms).
          if (session.pingResponses !== this.pingResponses) {
            this.pingResponses = session.pingResponses;
            if (this.phase === 'connected') this.armKeepalive();
          }
        },
        onClose: (error?: ConnectionError) => {
          if (attempt !== this.attempt) return;
          this.connection = undefined;
          const reason = error ?? { code: 'CLOSED', message: 'the connection closed' };
          this.fail(reason);
        },
      },
    );
  }

  /** Ends the current attempt for a reason found outside the session (transport, timeout). */
  private fail(reason: DisconnectReason): void {
    if (this.phase !== 'connecting' && this.phase !== 'connected') return;
    if (!this.everConnected) this.events.onError?.(reason);
    if (this.session.state !== 'disconnected') {
      this.override = reason;
      this.session.connectionLost(reason.message, this.host.clock.now());
    } else {
      this.attemptEnded(reason);
    }
  }

  private connected(sessionPresent: boolean, properties: Properties | undefined): void {
    this.host.timers.clear(this.connectTimer);
    this.connectTimer = undefined;
    this.phase = 'connected';
    this.everConnected = true;
    this.backoff.reset();
    this.armKeepalive();
    this.events.onConnected?.(sessionPresent, properties);
  }

  private sessionClosed(reason: CloseReason): void {
    const overridden = this.override;
    this.override = undefined;
    const why: DisconnectReason = overridden ?? { code: reason.code, message: reason.message };
    if (!overridden && reason.reasonCode !== undefined) {
      why.reasonCode = reason.reasonCode;
      if (reason.properties) why.properties = reason.properties;
    }
    if (reason.code === 'CONNACK_REFUSED' && reason.error) {
      // The session already reported the named error. Refused credentials wait the ceiling before
      // being tried again; other refusals (server unavailable...) back off as usual.
      const code = reason.error.code;
      const ended: DisconnectReason = { code, message: reason.message };
      if (reason.reasonCode !== undefined) ended.reasonCode = reason.reasonCode;
      this.attemptEnded(ended, code === 'CONNACK_BAD_USERNAME_OR_PASSWORD' || code === 'CONNACK_NOT_AUTHORIZED');
      return;
    }
    // A server's DISCONNECT that reconnecting at once would only repeat waits the ceiling too.
    this.attemptEnded(why, !overridden && reason.code === 'SERVER_DISCONNECT' && WAIT_CEILING_AFTER.indexOf(reason.reasonCode ?? 0) >= 0);
  }

  /** Common end of an attempt: close the transport, report, schedule the next one. */
  private attemptEnded(reason: DisconnectReason, refused = false): void {
    const wasConnected = this.everConnected;
    this.everConnected = false;
    this.teardown();
    if (this.phase === 'idle') return; // close() in progress
    if (wasConnected) this.events.onDisconnected?.(reason);
    if (this.state === 'idle') return; // a handler called close()
    if (this.reconnectNow) {
      this.reconnectNow = false;
      this.open();
      return;
    }
    const delay = refused ? this.backoff.ceiling() : this.backoff.next();
    this.phase = 'waiting';
    this.events.onReconnectScheduled?.(delay, reason);
    if (this.state !== 'waiting') return; // a handler called close() or reconnect()
    this.retryTimer = this.host.timers.set(() => {
      this.retryTimer = undefined;
      if (this.phase === 'waiting') this.open();
    }, delay);
  }

  private teardown(): void {
    const { timers } = this.host;
    timers.clear(this.connectTimer);
    timers.clear(this.keepaliveTimer);
    this.connectTimer = undefined;
    this.keepaliveTimer = undefined;
    this.keepaliveAt = Infinity;
    const connection = this.connection;
    this.connection = undefined;
    this.attempt++; // silence the old transport's remaining callbacks
    connection?.close();
  }

  private armKeepalive(): void {
    const deadline = this.session.nextDeadline();
    if (deadline === undefined || this.phase !== 'connected') return;
    if (this.keepaliveTimer !== undefined && deadline >= this.keepaliveAt) return;
    this.host.timers.clear(this.keepaliveTimer);
    this.keepaliveAt = deadline;
    this.keepaliveAttempt = this.attempt;
    this.keepaliveTimer = this.host.timers.set(this.keepaliveFired, Math.max(0, deadline - this.host.clock.now()));
  }

  /** The keepalive timer's callback, made once (re-arming allocates no closure). */
  private readonly keepaliveFired = (): void => {
    if (this.keepaliveAttempt !== this.attempt) return;
    this.keepaliveTimer = undefined;
    this.keepaliveAt = Infinity;
    this.session.tick(this.host.clock.now());
    this.armKeepalive();
  };

  private credentials(): ConnectCredentials {
    const source = this.password;
    const value = typeof source === 'function' ? source() : source;
    return { username: this.username, password: typeof value === 'string' ? utf8Bytes(value) : value };
  }
}

function utf8Bytes(s: string): Uint8Array {
  const length = utf8Length(s, false);
  if (length < 0) return new Uint8Array(0); // a lone surrogate: the broker will refuse it
  const bytes = new Uint8Array(length);
  writeUtf8(s, bytes, 0);
  return bytes;
}
