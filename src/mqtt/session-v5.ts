/**
 * The MQTT 5.0 part of a client session (./session): what the client announces in CONNECT, what
 * the server's CONNACK allows for this connection, topic aliases both ways, and the enhanced
 * authentication (AUTH) exchange. OASIS MQTT 5.0 sections 3.1.2.11 (CONNECT properties), 3.2.2.3
 * (CONNACK properties), 3.3.2.3.4 (Topic Alias), 4.9 (flow control), 4.12 (enhanced auth).
 *
 * Per connection (reset by connack()): the send window is the smaller of the session's in-flight
 * window and the server's Receive Maximum; the largest packet sent is the smaller of the
 * session's maxPacketSize and the server's Maximum Packet Size; the keep alive is the server's
 * Server Keep Alive when it sends one; outbound topic aliases go up to the server's Topic Alias
 * Maximum; the Assigned Client Identifier replaces an empty client id for later connections.
 */
import { protocolError } from './errors';
import { PacketType, type AuthPacket, type ConnackPacket, type ProtocolError, type PublishPacket, type QoS } from './packets';
import type { Properties, UserProperty } from './properties';
import { ALIAS_OUT_OF_RANGE, InboundTopicAliases, OutboundTopicAliases } from './topic-aliases';

/**
 * Enhanced authentication (5.0 section 4.12), e.g. SCRAM or a Kerberos exchange: the session
 * carries the method and the data; the hook computes them. Hooks must not throw.
 */
export interface EnhancedAuth {
  /** Authentication Method, e.g. 'SCRAM-SHA-256'. */
  method: string;
  /** Authentication Data for CONNECT, or for AUTH 0x19 when re-authenticating; undefined: none. */
  start(): Uint8Array | undefined;
  /** The server's AUTH 0x18 Continue: the data to answer with, or undefined to give up (closes). */
  challenge(data: Uint8Array | undefined, properties: Properties | undefined): Uint8Array | undefined;
  /** CONNACK success or AUTH 0x00 after a re-authentication, with the server's data; false closes. */
  done?(data: Uint8Array | undefined): boolean;
}

/** The 5.0 options of a session (see SessionOptions). */
export interface SessionV5Options {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  outboundTopicAliases?: boolean;
  requestResponseInformation?: boolean;
  requestProblemInformation?: boolean;
  userProperties?: UserProperty[];
  auth?: EnhancedAuth;
}

/** Largest Receive Maximum: the default, and not sent. */
const MAX_RECEIVE = 65535;

export class SessionV5 {
  readonly sessionExpiryInterval: number;
  /** QoS 1/2 PUBLISHes the server may have unacknowledged towards us. */
  readonly receiveMaximum: number;
  readonly auth: EnhancedAuth | undefined;
  // Per connection, from CONNACK:
  /** The server's Receive Maximum (65535 when absent). */
  serverReceiveMaximum = MAX_RECEIVE;
  /** The server's Maximum Packet Size, or Infinity. */
  serverMaximumPacketSize = Infinity;
  /** Server Keep Alive in seconds, or -1 when the server did not send one. */
  serverKeepAlive = -1;
  /** 0, 1 or 2 (the default when absent). */
  maximumQoS = 2;
  retainAvailable = true;
  /** The client id the server assigned to an empty one; kept for later connections. */
  assignedClientIdentifier = '';
  /** True while an AUTH exchange is under way (CONNECT or re-authentication). */
  authenticating = false;

  private readonly options: SessionV5Options;
  private readonly inbound = new InboundTopicAliases();
  private readonly outbound = new OutboundTopicAliases();
  /** Reused for a PUBLISH whose only property is its alias. */
  private readonly aliasOnly: Properties = { topicAlias: 0 };

  constructor(options: SessionV5Options) {
    this.options = options;
    this.sessionExpiryInterval = clampInteger(options.sessionExpiryInterval ?? 0, 0, 0xffffffff);
    this.receiveMaximum = clampInteger(options.receiveMaximum ?? MAX_RECEIVE, 1, MAX_RECEIVE);
    this.auth = options.auth;
  }

  /** CONNECT properties; `maximumPacketSize` is what this client accepts. Resets the connection's state. */
  connectProperties(maximumPacketSize: number): Properties | undefined {
    const o = this.options;
    this.inbound.reset(clampInteger(o.topicAliasMaximum ?? 0, 0, 65535));
    this.outbound.reset(0);
    this.serverReceiveMaximum = MAX_RECEIVE;
    this.serverMaximumPacketSize = Infinity;
    this.serverKeepAlive = -1;
    this.maximumQoS = 2;
    this.retainAvailable = true;
    const p: Properties = {};
    if (this.sessionExpiryInterval > 0) p.sessionExpiryInterval = this.sessionExpiryInterval;
    if (this.receiveMaximum < MAX_RECEIVE) p.receiveMaximum = this.receiveMaximum;
    if (maximumPacketSize < 0xffffffff) p.maximumPacketSize = maximumPacketSize;
    if ((o.topicAliasMaximum ?? 0) > 0) p.topicAliasMaximum = clampInteger(o.topicAliasMaximum ?? 0, 0, 65535);
    if (o.requestResponseInformation) p.requestResponseInformation = true;
    if (o.requestProblemInformation === false) p.requestProblemInformation = false;
    if (o.userProperties && o.userProperties.length > 0) p.userProperties = o.userProperties;
    if (this.auth) {
      p.authenticationMethod = this.auth.method;
      const data = this.auth.start();
      if (data) p.authenticationData = data;
      this.authenticating = true;
    }
    return Object.keys(p).length > 0 ? p : undefined;
  }

  /** Applies an accepted CONNACK's properties to this connection. An error closes it. */
  connack(packet: ConnackPacket): ProtocolError | undefined {
    const p = packet.properties;
    if (this.authenticating) {
      this.authenticating = false;
      const auth = this.auth as EnhancedAuth;
      if (p?.authenticationMethod !== auth.method) return protocolError('AUTH_NOT_HANDLED', `CONNACK authentication method ${String(p?.authenticationMethod)}; sent ${auth.method}`);
      if (auth.done && !auth.done(p.authenticationData)) return protocolError('AUTH_NOT_HANDLED', 'the authentication hook refused the server');
    }
    if (p === undefined) return undefined;
    if (p.receiveMaximum !== undefined) this.serverReceiveMaximum = p.receiveMaximum;
    if (p.maximumPacketSize !== undefined) this.serverMaximumPacketSize = p.maximumPacketSize;
    if (p.serverKeepAlive !== undefined) this.serverKeepAlive = p.serverKeepAlive;
    if (p.maximumQoS !== undefined) this.maximumQoS = p.maximumQoS;
    if (p.retainAvailable !== undefined) this.retainAvailable = p.retainAvailable;
    if (p.assignedClientIdentifier !== undefined) this.assignedClientIdentifier = p.assignedClientIdentifier;
    if (this.options.outboundTopicAliases !== false) this.outbound.reset(p.topicAliasMaximum ?? 0);
    return undefined;
  }

  /** Why the server's CONNACK limits refuse a PUBLISH of `qos` / `retain`, or undefined. */
  refusePublish(qos: QoS, retain: boolean): ProtocolError | undefined {
    if (qos > this.maximumQoS) return protocolError('INVALID_QOS', `QoS ${qos} is above the server's Maximum QoS ${this.maximumQoS}`);
    if (retain && !this.retainAvailable) return protocolError('INVALID_FIELD', 'the server does not support retained messages (Retain Available 0)');
    return undefined;
  }

  /**
   * Sets the topic and properties of an outbound PUBLISH for this connection: the alias (and the
   * topic only on its first use) within the server's maximum, merged with the message's own
   * properties (a new object only when it has some).
   */
  applyOutboundAlias(p: PublishPacket, topic: string, properties: Properties | undefined): void {
    const alias = this.outbound.lookup(topic);
    if (alias === 0) {
      p.topic = topic;
      p.properties = properties;
      return;
    }
    p.topic = this.outbound.firstUse ? topic : '';
    if (properties === undefined) {
      this.aliasOnly.topicAlias = alias;
      p.properties = this.aliasOnly;
    } else {
      p.properties = { ...properties, topicAlias: alias };
    }
  }

  /** Replaces an inbound PUBLISH's alias by its topic; an error for an alias out of range or unknown. */
  resolveInbound(p: PublishPacket): ProtocolError | undefined {
    const alias = p.properties?.topicAlias;
    if (alias === undefined) return undefined;
    const topic = this.inbound.resolve(alias, p.topic);
    if (typeof topic === 'string') {
      p.topic = topic;
      return undefined;
    }
    return protocolError(
      'TOPIC_ALIAS_INVALID',
      topic === ALIAS_OUT_OF_RANGE ? `Topic Alias ${alias} is above the maximum this client announced` : `Topic Alias ${alias} was never given a topic`,
    );
  }

  /**
   * The answer to a server AUTH: the AUTH to send, 'done' (re-authentication succeeded), or the
   * error that closes the connection.
   */
  onAuth(packet: AuthPacket): AuthPacket | 'done' | ProtocolError {
    const auth = this.auth;
    if (!auth) return protocolError('AUTH_NOT_HANDLED', 'AUTH from the server, and no enhanced authentication was configured');
    const props = packet.properties;
    if (props?.authenticationMethod !== auth.method) return protocolError('AUTH_NOT_HANDLED', `AUTH method ${String(props?.authenticationMethod)}; expected ${auth.method}`);
    if (packet.reasonCode === 0x00) {
      if (!this.authenticating) return protocolError('UNEXPECTED_PACKET', 'AUTH success without a re-authentication');
      this.authenticating = false;
      return !auth.done || auth.done(props.authenticationData) ? 'done' : protocolError('AUTH_NOT_HANDLED', 'the authentication hook refused the server');
    }
    if (packet.reasonCode !== 0x18) return protocolError('UNEXPECTED_PACKET', 'AUTH 0x19 from a server');
    if (!this.authenticating) return protocolError('UNEXPECTED_PACKET', 'AUTH continue without an authentication under way');
    const data = auth.challenge(props.authenticationData, props);
    if (data === undefined) return protocolError('AUTH_NOT_HANDLED', 'the authentication hook gave up');
    return { type: PacketType.AUTH, reasonCode: 0x18, properties: { authenticationMethod: auth.method, authenticationData: data } };
  }

  /** AUTH 0x19 to start a re-authentication, or undefined without enhanced authentication. */
  reauthenticate(): AuthPacket | undefined {
    const auth = this.auth;
    if (!auth) return undefined;
    this.authenticating = true;
    const data = auth.start();
    const properties: Properties = { authenticationMethod: auth.method };
    if (data) properties.authenticationData = data;
    return { type: PacketType.AUTH, reasonCode: 0x19, properties };
  }
}

function clampInteger(v: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.floor(v)));
}
