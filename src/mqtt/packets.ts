/**
 * MQTT 3.1.1 and 5.0 packets as plain objects: what the codec encodes and the decoder yields.
 * One interface per control packet type (OASIS MQTT 3.1.1 section 3; OASIS MQTT 5.0 section 3).
 * The 5.0 fields (properties, reason codes, subscription options, AUTH) are optional and absent
 * on 3.1.1 packets; which version a connection speaks is chosen at CONNECT (ProtocolVersion).
 */
import type { Properties } from './properties';

export type { Properties, UserProperty } from './properties';

/** CONNECT protocol level: 4 is MQTT 3.1.1, 5 is MQTT 5.0. */
export type ProtocolVersion = 4 | 5;

export type QoS = 0 | 1 | 2;

/**
 * Control packet types (the fixed header's high nibble). A frozen object rather than a TS enum:
 * an enum compiles to a mutable object, which Moddable's preload copies into RAM instead of
 * leaving it in flash. The type of the same name is the union of the values.
 */
export const PacketType = Object.freeze({
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  /** MQTT 5.0 only (section 3.15). */
  AUTH: 15,
} as const);
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** Names by type value (what an enum's reverse mapping gave), for messages. */
const PACKET_TYPE_NAMES: readonly string[] = Object.freeze([
  'reserved', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH',
]);

/** The name of a packet type value ('CONNECT' for 1), 'reserved' for 0, 'AUTH' for 15 (5.0). */
export function packetTypeName(type: number): string {
  return PACKET_TYPE_NAMES[type] ?? `type ${type}`;
}

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** 5.0 will properties (will delay interval, message expiry, content type...). */
  properties?: Properties;
}

export interface ConnectPacket {
  type: typeof PacketType.CONNECT;
  clientId: string;
  cleanSession: boolean;
  /** Seconds; 0 disables keepalive. */
  keepAlive: number;
  will?: Will;
  username?: string;
  password?: Uint8Array;
  /** 5 for MQTT 5.0; absent (or 4) for 3.1.1. In 5.0 cleanSession is the Clean Start flag. */
  protocolVersion?: ProtocolVersion;
  properties?: Properties;
}

/** CONNACK return codes (3.2.2.3). */
export const ConnackCode = Object.freeze({
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL_VERSION: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const);
export type ConnackCode = (typeof ConnackCode)[keyof typeof ConnackCode];

export interface ConnackPacket {
  type: typeof PacketType.CONNACK;
  sessionPresent: boolean;
  /**
   * 3.1.1: the Connect Return Code (ConnackCode, 0..5). 5.0: the Connect Reason Code (0x00
   * success, 0x80..0x9F refusals; ReasonCode in ./reason-codes), one field for both so a
   * session reads it the same way.
   */
  returnCode: number;
  properties?: Properties;
}

export interface PublishPacket {
  type: typeof PacketType.PUBLISH;
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present (1..65535) exactly when qos > 0. */
  packetId?: number;
  /**
   * Set only on a received PUBLISH larger than the receiver's maximum packet size, which the
   * decoder skipped (DecoderOptions.skipOversizedPublish): its size in bytes; the payload is empty.
   */
  oversize?: number;
  /** 5.0: with a topic alias the topic may be '' (the alias names it). */
  properties?: Properties;
}

/**
 * 5.0 adds a reason code (absent means 0x00 Success, which the encoder then leaves off the wire
 * [MQTT 5.0 3.4.2.1]) and properties (reason string, user properties) to the acknowledgements.
 */
interface Ack {
  packetId: number;
  reasonCode?: number;
  properties?: Properties;
}
export interface PubackPacket extends Ack { type: typeof PacketType.PUBACK }
export interface PubrecPacket extends Ack { type: typeof PacketType.PUBREC }
export interface PubrelPacket extends Ack { type: typeof PacketType.PUBREL }
export interface PubcompPacket extends Ack { type: typeof PacketType.PUBCOMP }

/** Retain Handling (5.0 3.8.3.1): 0 send retained on subscribe, 1 only for a new subscription, 2 never. */
export type RetainHandling = 0 | 1 | 2;

export interface Subscription {
  topicFilter: string;
  /** Maximum QoS requested. */
  qos: QoS;
  /** 5.0 No Local: do not send back what this client publishes. */
  noLocal?: boolean;
  /** 5.0 Retain As Published: keep the RETAIN flag as the publisher set it. */
  retainAsPublished?: boolean;
  /** 5.0 Retain Handling; absent means 0. */
  retainHandling?: RetainHandling;
}

export interface SubscribePacket {
  type: typeof PacketType.SUBSCRIBE;
  packetId: number;
  subscriptions: Subscription[];
  /** 5.0: subscription identifier, user properties. */
  properties?: Properties;
}

/**
 * Per subscription: the granted QoS (0, 1, 2) or a failure: 0x80 in 3.1.1; in 5.0 one of the
 * SUBACK reason codes 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2 (5.0 3.9.3).
 */
export type SubackCode = 0 | 1 | 2 | 0x80 | 0x83 | 0x87 | 0x8f | 0x91 | 0x97 | 0x9e | 0xa1 | 0xa2;

export interface SubackPacket {
  type: typeof PacketType.SUBACK;
  packetId: number;
  granted: SubackCode[];
  properties?: Properties;
}

export interface UnsubscribePacket {
  type: typeof PacketType.UNSUBSCRIBE;
  packetId: number;
  topicFilters: string[];
  properties?: Properties;
}

export interface UnsubackPacket {
  type: typeof PacketType.UNSUBACK;
  packetId: number;
  /** 5.0: one reason code per topic filter (0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91); absent in 3.1.1. */
  reasonCodes?: number[];
  properties?: Properties;
}
export interface PingreqPacket { type: typeof PacketType.PINGREQ }
export interface PingrespPacket { type: typeof PacketType.PINGRESP }
export interface DisconnectPacket {
  type: typeof PacketType.DISCONNECT;
  /** 5.0 Disconnect Reason Code, either direction; absent means 0x00 Normal disconnection. */
  reasonCode?: number;
  properties?: Properties;
}

/** 5.0 AUTH (3.15): enhanced authentication exchange. reasonCode 0x00, 0x18 Continue or 0x19 Re-authenticate. */
export interface AuthPacket {
  type: typeof PacketType.AUTH;
  reasonCode: number;
  properties?: Properties;
}

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

/** Named protocol errors. Each closes the connection; none escapes as an exception. */
export type ProtocolErrorCode =
  | 'RESERVED_FLAGS'
  | 'INVALID_QOS'
  | 'PACKET_ID_ZERO'
  | 'REMAINING_LENGTH_TOO_LONG'
  | 'PACKET_TOO_LARGE'
  | 'INVALID_UTF8'
  | 'NULL_CHARACTER'
  | 'WILDCARD_IN_TOPIC'
  | 'EMPTY_TOPIC'
  | 'INVALID_TOPIC_FILTER'
  | 'BAD_LENGTH'
  | 'UNKNOWN_PACKET_TYPE'
  | 'UNEXPECTED_PACKET'
  | 'BAD_PROTOCOL'
  | 'CONNACK_UNACCEPTABLE_PROTOCOL_VERSION'
  | 'CONNACK_IDENTIFIER_REJECTED'
  | 'CONNACK_SERVER_UNAVAILABLE'
  | 'CONNACK_BAD_USERNAME_OR_PASSWORD'
  | 'CONNACK_NOT_AUTHORIZED'
  | 'CONNACK_INVALID_RETURN_CODE'
  // Added with the codec (additive; the names above are unchanged):
  /** CONNECT names MQTT but a protocol level other than 4: a broker answers CONNACK 0x01 [MQTT-3.1.2-2]. */
  | 'BAD_PROTOCOL_LEVEL'
  /** CONNECT flags inconsistent: will QoS/retain without will, password without username. */
  | 'INVALID_CONNECT_FLAGS'
  /** SUBSCRIBE or UNSUBSCRIBE without any topic filter [MQTT-3.8.3-3, 3.10.3-2]. */
  | 'NO_SUBSCRIPTIONS'
  /** SUBACK return code other than 0, 1, 2 or 0x80. */
  | 'INVALID_SUBACK_CODE'
  /** Outgoing packet id outside 1..65535 or not an integer (incoming ids are 16 bits: 0 is PACKET_ID_ZERO). */
  | 'INVALID_PACKET_ID'
  /** Outgoing string or binary field longer than the 65535 bytes its 16-bit length allows. */
  | 'FIELD_TOO_LONG'
  /** Outgoing field of the wrong kind or range (keepAlive, return code, missing field). */
  | 'INVALID_FIELD'
  // MQTT 5.0 (additive):
  /** Property section malformed: length or value past the end, non-minimal variable byte integer. */
  | 'MALFORMED_PROPERTY'
  /** Property identifier not defined by MQTT 5.0 (2.2.2.2). */
  | 'UNKNOWN_PROPERTY'
  /** A property other than User Property (or Subscription Identifier on PUBLISH) given twice. */
  | 'DUPLICATE_PROPERTY'
  /** A property the packet type does not carry, e.g. Topic Alias on CONNECT (2.2.2.2). */
  | 'PROPERTY_NOT_ALLOWED'
  /** A property value out of range: Receive Maximum 0, Payload Format Indicator 2, Topic Alias 0... */
  | 'INVALID_PROPERTY'
  /** A reason code the packet type does not define (5.0 2.4). */
  | 'INVALID_REASON_CODE'
  /** Topic Alias 0, above the Topic Alias Maximum, or unknown with an empty topic (5.0 3.3.2.3.4). */
  | 'TOPIC_ALIAS_INVALID'
  /** More QoS 1/2 PUBLISHes unacknowledged than the Receive Maximum allows (5.0 3.3.4). */
  | 'RECEIVE_MAXIMUM_EXCEEDED'
  /** 5.0 CONNACK refused the connection: the message names the reason code. */
  | 'CONNACK_REFUSED'
  /** 5.0 AUTH arrived and no authentication hook handles it. */
  | 'AUTH_NOT_HANDLED';

export interface ProtocolError {
  code: ProtocolErrorCode;
  message: string;
}
