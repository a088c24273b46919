/**
 * MQTT 5.0 reason codes (OASIS MQTT 5.0 section 2.4, table 2-6): their names, and which codes each
 * packet type may carry (CONNACK 3.2.2.2, PUBACK 3.4.2.1, PUBREC 3.5.2.1, PUBREL 3.6.2.1,
 * PUBCOMP 3.7.2.1, SUBACK 3.9.3, UNSUBACK 3.11.3, DISCONNECT 3.14.2.1, AUTH 3.15.2.1).
 *
 *   isReasonCodeAllowed(packetType, code): boolean
 *   reasonCodeName(code): string        e.g. 'Packet too large' for 0x95; 'reason code 0x..' if unknown
 *
 * Codes below 0x80 report success (or a granted QoS); 0x80 and above report failure [MQTT 5.0 2.4].
 */
import { PacketType } from './packets';

/** Named reason code values (the subset a client acts on; the tables below hold all of them). */
export const ReasonCode = Object.freeze({
  SUCCESS: 0x00,
  NORMAL_DISCONNECTION: 0x00,
  GRANTED_QOS_1: 0x01,
  GRANTED_QOS_2: 0x02,
  DISCONNECT_WITH_WILL: 0x04,
  NO_MATCHING_SUBSCRIBERS: 0x10,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  CONTINUE_AUTHENTICATION: 0x18,
  RE_AUTHENTICATE: 0x19,
  UNSPECIFIED_ERROR: 0x80,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  IMPLEMENTATION_SPECIFIC_ERROR: 0x83,
  NOT_AUTHORIZED: 0x87,
  SERVER_BUSY: 0x89,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_IDENTIFIER_IN_USE: 0x91,
  PACKET_IDENTIFIER_NOT_FOUND: 0x92,
  RECEIVE_MAXIMUM_EXCEEDED: 0x93,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  QUOTA_EXCEEDED: 0x97,
  USE_ANOTHER_SERVER: 0x9c,
  SERVER_MOVED: 0x9d,
} as const);

const NAMES: Readonly<Record<number, string>> = Object.freeze({
  0x00: 'Success',
  0x01: 'Granted QoS 1',
  0x02: 'Granted QoS 2',
  0x04: 'Disconnect with Will Message',
  0x10: 'No matching subscribers',
  0x11: 'No subscription existed',
  0x18: 'Continue authentication',
  0x19: 'Re-authenticate',
  0x80: 'Unspecified error',
  0x81: 'Malformed Packet',
  0x82: 'Protocol Error',
  0x83: 'Implementation specific error',
  0x84: 'Unsupported Protocol Version',
  0x85: 'Client Identifier not valid',
  0x86: 'Bad User Name or Password',
  0x87: 'Not authorized',
  0x88: 'Server unavailable',
  0x89: 'Server busy',
  0x8a: 'Banned',
  0x8b: 'Server shutting down',
  0x8c: 'Bad authentication method',
  0x8d: 'Keep Alive timeout',
  0x8e: 'Session taken over',
  0x8f: 'Topic Filter invalid',
  0x90: 'Topic Name invalid',
  0x91: 'Packet Identifier in use',
  0x92: 'Packet Identifier not found',
  0x93: 'Receive Maximum exceeded',
  0x94: 'Topic Alias invalid',
  0x95: 'Packet too large',
  0x96: 'Message rate too high',
  0x97: 'Quota exceeded',
  0x98: 'Administrative action',
  0x99: 'Payload format invalid',
  0x9a: 'Retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'Use another server',
  0x9d: 'Server moved',
  0x9e: 'Shared Subscriptions not supported',
  0x9f: 'Connection rate exceeded',
  0xa0: 'Maximum connect time',
  0xa1: 'Subscription Identifiers not supported',
  0xa2: 'Wildcard Subscriptions not supported',
});

const PUB_ACK = Object.freeze([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]);
const PUB_REL_COMP = Object.freeze([0x00, 0x92]);

/** Allowed codes by packet type; an empty list: the type carries no reason code. */
const ALLOWED: readonly (readonly number[])[] = Object.freeze([
  Object.freeze([]), // 0 reserved
  Object.freeze([]), // CONNECT
  Object.freeze([0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f]),
  Object.freeze([]), // PUBLISH
  PUB_ACK, // PUBACK
  PUB_ACK, // PUBREC
  PUB_REL_COMP, // PUBREL
  PUB_REL_COMP, // PUBCOMP
  Object.freeze([]), // SUBSCRIBE
  Object.freeze([0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2]),
  Object.freeze([]), // UNSUBSCRIBE
  Object.freeze([0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91]),
  Object.freeze([]), // PINGREQ
  Object.freeze([]), // PINGRESP
  Object.freeze([
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c,
    0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
  ]),
  Object.freeze([0x00, 0x18, 0x19]), // AUTH
]);

/** True when `code` is a reason code MQTT 5.0 defines for `packetType`. */
export function isReasonCodeAllowed(packetType: number, code: number): boolean {
  const list = ALLOWED[packetType];
  return list !== undefined && list.indexOf(code) >= 0;
}

/** The specification's name of a reason code, for messages. */
export function reasonCodeName(code: number): string {
  const name = NAMES[code];
  return name ?? `reason code 0x${code.toString(16)}`;
}

/** '0x95 Packet too large': code and name, for messages. */
export function describeReasonCode(code: number): string {
  return `0x${(code < 16 ? '0' : '') + code.toString(16)} ${reasonCodeName(code)}`;
}

/** The packet types MQTT 5.0 gives a reason code to (PacketType values), for tests and tables. */
export const REASON_CODE_PACKET_TYPES: readonly number[] = Object.freeze([
  PacketType.CONNACK,
  PacketType.PUBACK,
  PacketType.PUBREC,
  PacketType.PUBREL,
  PacketType.PUBCOMP,
  PacketType.SUBACK,
  PacketType.UNSUBACK,
  PacketType.DISCONNECT,
  PacketType.AUTH,
]);
