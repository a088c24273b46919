/**
 * MQTT 3.1.1 packets as plain objects: what the codec encodes and the decoder yields.
 * One interface per control packet type (OASIS MQTT 3.1.1, section 3).
 */

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
} as const);
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** Names by type value (what an enum's reverse mapping gave), for messages. */
const PACKET_TYPE_NAMES: readonly string[] = Object.freeze([
  'reserved', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'reserved',
]);

/** The name of a packet type value ('CONNECT' for 1), 'reserved' for 0 and 15. */
export function packetTypeName(type: number): string {
  return PACKET_TYPE_NAMES[type] ?? `type ${type}`;
}

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
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
  returnCode: ConnackCode;
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
}

export interface PubackPacket { type: typeof PacketType.PUBACK; packetId: number }
export interface PubrecPacket { type: typeof PacketType.PUBREC; packetId: number }
export interface PubrelPacket { type: typeof PacketType.PUBREL; packetId: number }
export interface PubcompPacket { type: typeof PacketType.PUBCOMP; packetId: number }

export interface Subscription {
  topicFilter: string;
  qos: QoS;
}

export interface SubscribePacket {
  type: typeof PacketType.SUBSCRIBE;
  packetId: number;
  subscriptions: Subscription[];
}

/** Granted QoS per subscription, or 0x80 for failure. */
export type SubackCode = 0 | 1 | 2 | 0x80;

export interface SubackPacket {
  type: typeof PacketType.SUBACK;
  packetId: number;
  granted: SubackCode[];
}

export interface UnsubscribePacket {
  type: typeof PacketType.UNSUBSCRIBE;
  packetId: number;
  topicFilters: string[];
}

export interface UnsubackPacket { type: typeof PacketType.UNSUBACK; packetId: number }
export interface PingreqPacket { type: typeof PacketType.PINGREQ }
export interface PingrespPacket { type: typeof PacketType.PINGRESP }
export interface DisconnectPacket { type: typeof PacketType.DISCONNECT }

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
  | DisconnectPacket;

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
  | 'INVALID_FIELD';

export interface ProtocolError {
  code: ProtocolErrorCode;
  message: string;
}
