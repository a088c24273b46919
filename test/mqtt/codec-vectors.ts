/**
 * Byte-exact MQTT 3.1.1 vectors, hand-written from the OASIS specification (section 3), shared by
 * codec-vectors.suite.ts (Node and XS) and codec.test.ts (cross-checked against mqtt-packet).
 */
import { PacketType, type ConnackCode, type Packet, type ProtocolErrorCode } from '../../src/mqtt/packets';

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return s;
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const ascii = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};

export interface Vector {
  name: string;
  packet: Packet;
  /** The exact bytes on the wire, spaced: fixed header | variable header | payload. */
  hex: string;
}

export const VECTORS: Vector[] = [
  {
    name: 'CONNECT minimal, clean session, keepalive 60',
    packet: { type: PacketType.CONNECT, clientId: 'dev', cleanSession: true, keepAlive: 60 },
    // 10 0f | 0004 "MQTT" 04 flags=02 keepalive=003c | 0003 "dev"
    hex: '10 0f  0004 4d515454 04 02 003c  0003 646576',
  },
  {
    name: 'CONNECT with will (QoS 1, retain), user name and password',
    packet: {
      type: PacketType.CONNECT,
      clientId: 'dev',
      cleanSession: true,
      keepAlive: 60,
      will: { topic: 'w/t', payload: bytes(9), qos: 1, retain: true },
      username: 'u',
      password: bytes(1, 2),
    },
    // flags: user 80 | password 40 | will retain 20 | will QoS 1 08 | will 04 | clean 02 = ee
    hex: '10 1e  0004 4d515454 04 ee 003c  0003 646576  0003 772f74  0001 09  0001 75  0002 0102',
  },
  {
    name: 'CONNECT persistent session, keepalive 0, user name only',
    packet: { type: PacketType.CONNECT, clientId: 'd1', cleanSession: false, keepAlive: 0, username: 'hub.azure-devices.net/d1/?api-version=2021-04-12' },
    hex: '10 40  0004 4d515454 04 80 0000  0002 6431  0030 ' + toHex(ascii('hub.azure-devices.net/d1/?api-version=2021-04-12')),
  },
  {
    name: 'CONNECT will QoS 2 without retain',
    packet: { type: PacketType.CONNECT, clientId: 'c', cleanSession: false, keepAlive: 1177, will: { topic: 'x', payload: bytes(), qos: 2, retain: false } },
    // flags: will QoS 2 10 | will 04 = 14; keepalive 1177 = 0499
    hex: '10 12  0004 4d515454 04 14 0499  0001 63  0001 78  0000',
  },
  { name: 'CONNACK accepted, session present', packet: { type: PacketType.CONNACK, sessionPresent: true, returnCode: 0 }, hex: '20 02 01 00' },
  { name: 'CONNACK not authorized', packet: { type: PacketType.CONNACK, sessionPresent: false, returnCode: 5 }, hex: '20 02 00 05' },
  {
    name: 'PUBLISH QoS 0',
    packet: { type: PacketType.PUBLISH, topic: 'a', payload: ascii('hi'), qos: 0, retain: false, dup: false },
    hex: '30 05  0001 61  6869',
  },
  {
    name: 'PUBLISH QoS 1 DUP, non-ASCII topic',
    packet: { type: PacketType.PUBLISH, topic: 'a/b€', payload: bytes(1, 2, 3), qos: 1, retain: false, dup: true, packetId: 7 },
    // € is U+20AC: e2 82 ac
    hex: '3a 0d  0006 612f62e282ac  0007  010203',
  },
  {
    name: 'PUBLISH QoS 2 retain, empty payload, astral topic',
    packet: { type: PacketType.PUBLISH, topic: '\u{1F321}', payload: bytes(), qos: 2, retain: true, dup: false, packetId: 0xbeef },
    // U+1F321 (thermometer) is f0 9f 8c a1
    hex: '35 08  0004 f09f8ca1  beef',
  },
  { name: 'PUBACK', packet: { type: PacketType.PUBACK, packetId: 1 }, hex: '40 02 0001' },
  { name: 'PUBREC', packet: { type: PacketType.PUBREC, packetId: 0x1234 }, hex: '50 02 1234' },
  { name: 'PUBREL (flags 0010)', packet: { type: PacketType.PUBREL, packetId: 1 }, hex: '62 02 0001' },
  { name: 'PUBCOMP', packet: { type: PacketType.PUBCOMP, packetId: 65535 }, hex: '70 02 ffff' },
  {
    name: 'SUBSCRIBE two filters (flags 0010)',
    packet: { type: PacketType.SUBSCRIBE, packetId: 3, subscriptions: [{ topicFilter: 'a/+/#', qos: 2 }, { topicFilter: '#', qos: 0 }] },
    hex: '82 0e  0003  0005 612f2b2f23 02  0001 23 00',
  },
  {
    name: 'SUBSCRIBE IoT Hub C2D filter QoS 1',
    packet: { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'devices/d1/messages/devicebound/#', qos: 1 }] },
    hex: '82 26  0001  0021 ' + toHex(ascii('devices/d1/messages/devicebound/#')) + ' 01',
  },
  { name: 'SUBACK all codes', packet: { type: PacketType.SUBACK, packetId: 3, granted: [0, 1, 2, 0x80] }, hex: '90 06  0003  00010280' },
  {
    name: 'UNSUBSCRIBE (flags 0010)',
    packet: { type: PacketType.UNSUBSCRIBE, packetId: 4, topicFilters: ['a/+', 'b'] },
    hex: 'a2 0a  0004  0003 612f2b  0001 62',
  },
  { name: 'UNSUBACK', packet: { type: PacketType.UNSUBACK, packetId: 4 }, hex: 'b0 02 0004' },
  { name: 'PINGREQ', packet: { type: PacketType.PINGREQ }, hex: 'c0 00' },
  { name: 'PINGRESP', packet: { type: PacketType.PINGRESP }, hex: 'd0 00' },
  { name: 'DISCONNECT', packet: { type: PacketType.DISCONNECT }, hex: 'e0 00' },
];

/** Bytes the decoder must reject, with the named error. */
export const DECODE_ERRORS: { name: string; hex: string; code: ProtocolErrorCode; maxPacketSize?: number }[] = [
  { name: 'packet type 0', hex: '00 00', code: 'UNKNOWN_PACKET_TYPE' },
  { name: 'packet type 15', hex: 'f0 00', code: 'UNKNOWN_PACKET_TYPE' },
  { name: 'PUBREL with flags 0000', hex: '60 02 0001', code: 'RESERVED_FLAGS' },
  { name: 'SUBSCRIBE with flags 0000', hex: '80 06 0001 0001 61 00', code: 'RESERVED_FLAGS' },
  { name: 'UNSUBSCRIBE with flags 0011', hex: 'a3 05 0001 0001 61', code: 'RESERVED_FLAGS' },
  { name: 'PUBACK with flags 0001', hex: '41 02 0001', code: 'RESERVED_FLAGS' },
  { name: 'CONNACK with flags 1000', hex: '28 02 0000', code: 'RESERVED_FLAGS' },
  { name: 'PINGREQ with flags 0010', hex: 'c2 00', code: 'RESERVED_FLAGS' },
  { name: 'PUBLISH QoS 3', hex: '36 05 0001 61 0001', code: 'INVALID_QOS' },
  { name: 'PUBLISH QoS 0 with DUP', hex: '38 03 0001 61', code: 'RESERVED_FLAGS' },
  { name: 'PUBACK packet id 0', hex: '40 02 0000', code: 'PACKET_ID_ZERO' },
  { name: 'PUBLISH QoS 1 packet id 0', hex: '32 05 0001 61 0000', code: 'PACKET_ID_ZERO' },
  { name: 'SUBSCRIBE packet id 0', hex: '82 06 0000 0001 61 00', code: 'PACKET_ID_ZERO' },
  { name: 'remaining length in 5 bytes', hex: '30 ff ff ff ff 01', code: 'REMAINING_LENGTH_TOO_LONG' },
  { name: 'remaining length over the maximum packet size', hex: '30 80 01', code: 'PACKET_TOO_LARGE', maxPacketSize: 100 },
  { name: 'PUBLISH topic with overlong encoding C0 AF', hex: '30 04 0002 c0af', code: 'INVALID_UTF8' },
  { name: 'PUBLISH topic with overlong 3-byte E0 80 AF', hex: '30 05 0003 e080af', code: 'INVALID_UTF8' },
  { name: 'PUBLISH topic with overlong 4-byte F0 80 80 AF', hex: '30 06 0004 f08080af', code: 'INVALID_UTF8' },
  { name: 'PUBLISH topic with a UTF-16 surrogate ED A0 80', hex: '30 05 0003 eda080', code: 'INVALID_UTF8' },
  { name: 'PUBLISH topic above U+10FFFF (F4 90 80 80)', hex: '30 06 0004 f4908080', code: 'INVALID_UTF8' },
  { name: 'PUBLISH topic with F5 lead byte', hex: '30 06 0004 f5808080', code: 'INVALID_UTF8' },
  { name: 'PUBLISH topic with a stray continuation byte', hex: '30 04 0002 6180', code: 'INVALID_UTF8' },
  { name: 'PUBLISH topic with a truncated sequence', hex: '30 04 0002 e282', code: 'INVALID_UTF8' },
  { name: 'PUBLISH topic with a non-continuation inside a sequence', hex: '30 05 0003 e26161', code: 'INVALID_UTF8' },
  { name: 'PUBLISH topic with U+0000', hex: '30 04 0002 6100', code: 'NULL_CHARACTER' },
  { name: 'PUBLISH topic with overlong U+0000 (C0 80)', hex: '30 04 0002 c080', code: 'INVALID_UTF8' },
  { name: 'PUBLISH topic with +', hex: '30 05 0003 612f2b', code: 'WILDCARD_IN_TOPIC' },
  { name: 'PUBLISH topic #', hex: '30 03 0001 23', code: 'WILDCARD_IN_TOPIC' },
  { name: 'PUBLISH empty topic', hex: '30 02 0000', code: 'EMPTY_TOPIC' },
  { name: 'SUBSCRIBE filter with # not last', hex: '82 0a 0001 0005 612f232f62 00', code: 'INVALID_TOPIC_FILTER' },
  { name: 'SUBSCRIBE filter with + not a whole level', hex: '82 07 0001 0002 612b 00', code: 'INVALID_TOPIC_FILTER' },
  { name: 'SUBSCRIBE filter with # not a whole level', hex: '82 07 0001 0002 6123 00', code: 'INVALID_TOPIC_FILTER' },
  { name: 'SUBSCRIBE empty filter', hex: '82 05 0001 0000 00', code: 'INVALID_TOPIC_FILTER' },
  { name: 'UNSUBSCRIBE filter +a', hex: 'a2 06 0001 0002 2b61', code: 'INVALID_TOPIC_FILTER' },
  { name: 'SUBSCRIBE filter with invalid UTF-8', hex: '82 06 0001 0001 ff 00', code: 'INVALID_UTF8' },
  { name: 'SUBSCRIBE without subscriptions', hex: '82 02 0001', code: 'NO_SUBSCRIPTIONS' },
  { name: 'UNSUBSCRIBE without filters', hex: 'a2 02 0001', code: 'NO_SUBSCRIPTIONS' },
  { name: 'SUBSCRIBE requested QoS 3', hex: '82 06 0001 0001 61 03', code: 'INVALID_QOS' },
  { name: 'SUBSCRIBE requested QoS byte with reserved bits', hex: '82 06 0001 0001 61 81', code: 'RESERVED_FLAGS' },
  { name: 'SUBSCRIBE missing requested QoS', hex: '82 05 0001 0001 61', code: 'BAD_LENGTH' },
  { name: 'SUBACK code 3', hex: '90 03 0001 03', code: 'INVALID_SUBACK_CODE' },
  { name: 'SUBACK code 0x81', hex: '90 04 0001 00 81', code: 'INVALID_SUBACK_CODE' },
  { name: 'SUBACK without codes', hex: '90 02 0001', code: 'BAD_LENGTH' },
  { name: 'PUBACK remaining length 3', hex: '40 03 0001 00', code: 'BAD_LENGTH' },
  { name: 'PUBREC remaining length 1', hex: '50 01 01', code: 'BAD_LENGTH' },
  { name: 'UNSUBACK remaining length 0', hex: 'b0 00', code: 'BAD_LENGTH' },
  { name: 'CONNACK remaining length 3', hex: '20 03 000000', code: 'BAD_LENGTH' },
  { name: 'PINGRESP remaining length 1', hex: 'd0 01 00', code: 'BAD_LENGTH' },
  { name: 'DISCONNECT remaining length 2', hex: 'e0 02 0000', code: 'BAD_LENGTH' },
  { name: 'PUBLISH topic length past the end', hex: '30 03 0005 61', code: 'BAD_LENGTH' },
  { name: 'PUBLISH QoS 1 without packet id', hex: '32 03 0001 61', code: 'BAD_LENGTH' },
  { name: 'PUBLISH one byte body', hex: '30 01 00', code: 'BAD_LENGTH' },
  { name: 'CONNACK reserved acknowledge flag bits', hex: '20 02 02 00', code: 'RESERVED_FLAGS' },
  { name: 'CONNACK return code 6', hex: '20 02 00 06', code: 'CONNACK_INVALID_RETURN_CODE' },
  { name: 'CONNECT protocol name MQIsdp', hex: '10 0f 0006 4d5149736470 03 02 003c 0001 61', code: 'BAD_PROTOCOL' },
  { name: 'CONNECT protocol name mqtt (lower case)', hex: '10 0d 0004 6d717474 04 02 003c 0001 61', code: 'BAD_PROTOCOL' },
  { name: 'CONNECT protocol level 3', hex: '10 0d 0004 4d515454 03 02 003c 0001 61', code: 'BAD_PROTOCOL_LEVEL' },
  { name: 'CONNECT protocol level 5 (MQTT 5.0) without its property length', hex: '10 0d 0004 4d515454 05 02 003c 0001 61', code: 'BAD_LENGTH' },
  { name: 'CONNECT protocol level 6', hex: '10 0d 0004 4d515454 06 02 003c 0001 61', code: 'BAD_PROTOCOL_LEVEL' },
  { name: 'CONNECT reserved flag bit 0', hex: '10 0d 0004 4d515454 04 03 003c 0001 61', code: 'RESERVED_FLAGS' },
  { name: 'CONNECT password without user name', hex: '10 10 0004 4d515454 04 42 003c 0001 61 0001 70', code: 'INVALID_CONNECT_FLAGS' },
  { name: 'CONNECT will QoS without will flag', hex: '10 0d 0004 4d515454 04 0a 003c 0001 61', code: 'INVALID_CONNECT_FLAGS' },
  { name: 'CONNECT will retain without will flag', hex: '10 0d 0004 4d515454 04 22 003c 0001 61', code: 'INVALID_CONNECT_FLAGS' },
  { name: 'CONNECT will QoS 3', hex: '10 12 0004 4d515454 04 1e 003c 0001 61 0001 78 0000', code: 'INVALID_QOS' },
  { name: 'CONNECT will topic with wildcard', hex: '10 12 0004 4d515454 04 06 003c 0001 61 0001 23 0000', code: 'WILDCARD_IN_TOPIC' },
  { name: 'CONNECT client id with U+0000', hex: '10 0d 0004 4d515454 04 02 003c 0001 00', code: 'NULL_CHARACTER' },
  { name: 'CONNECT trailing byte', hex: '10 0e 0004 4d515454 04 02 003c 0001 61 ff', code: 'BAD_LENGTH' },
  { name: 'CONNECT truncated variable header', hex: '10 08 0004 4d515454 04 02', code: 'BAD_LENGTH' },
  { name: 'CONNECT user name flag without user name', hex: '10 0d 0004 4d515454 04 82 003c 0001 61', code: 'BAD_LENGTH' },
];

/** Packets encode() must refuse, with the named error. */
export const ENCODE_ERRORS: { name: string; packet: Packet; code: ProtocolErrorCode }[] = [
  { name: 'PUBLISH topic with +', packet: { type: PacketType.PUBLISH, topic: 'a/+', payload: bytes(), qos: 0, retain: false, dup: false }, code: 'WILDCARD_IN_TOPIC' },
  { name: 'PUBLISH topic with #', packet: { type: PacketType.PUBLISH, topic: '#', payload: bytes(), qos: 0, retain: false, dup: false }, code: 'WILDCARD_IN_TOPIC' },
  { name: 'PUBLISH empty topic', packet: { type: PacketType.PUBLISH, topic: '', payload: bytes(), qos: 0, retain: false, dup: false }, code: 'EMPTY_TOPIC' },
  { name: 'PUBLISH topic with U+0000', packet: { type: PacketType.PUBLISH, topic: 'a\u0000', payload: bytes(), qos: 0, retain: false, dup: false }, code: 'NULL_CHARACTER' },
  { name: 'PUBLISH topic with a lone surrogate', packet: { type: PacketType.PUBLISH, topic: 'a\ud800b', payload: bytes(), qos: 0, retain: false, dup: false }, code: 'INVALID_UTF8' },
  { name: 'PUBLISH topic over 65535 bytes', packet: { type: PacketType.PUBLISH, topic: 'x'.repeat(65536), payload: bytes(), qos: 0, retain: false, dup: false }, code: 'FIELD_TOO_LONG' },
  { name: 'PUBLISH QoS 1 packet id 0', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 1, retain: false, dup: false, packetId: 0 }, code: 'PACKET_ID_ZERO' },
  { name: 'PUBLISH QoS 1 without packet id', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 1, retain: false, dup: false }, code: 'INVALID_PACKET_ID' },
  { name: 'PUBLISH QoS 3', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 3 as 0, retain: false, dup: false, packetId: 1 }, code: 'INVALID_QOS' },
  { name: 'PUBLISH QoS 0 with DUP', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 0, retain: false, dup: true }, code: 'RESERVED_FLAGS' },
  { name: 'PUBACK packet id 0', packet: { type: PacketType.PUBACK, packetId: 0 }, code: 'PACKET_ID_ZERO' },
  { name: 'PUBREL packet id 65536', packet: { type: PacketType.PUBREL, packetId: 65536 }, code: 'INVALID_PACKET_ID' },
  { name: 'PUBCOMP packet id 1.5', packet: { type: PacketType.PUBCOMP, packetId: 1.5 }, code: 'INVALID_PACKET_ID' },
  { name: 'SUBSCRIBE without subscriptions', packet: { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [] }, code: 'NO_SUBSCRIPTIONS' },
  { name: 'SUBSCRIBE filter a/#/b', packet: { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'a/#/b', qos: 0 }] }, code: 'INVALID_TOPIC_FILTER' },
  { name: 'SUBSCRIBE filter a+', packet: { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'a+', qos: 0 }] }, code: 'INVALID_TOPIC_FILTER' },
  { name: 'SUBSCRIBE empty filter', packet: { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: '', qos: 0 }] }, code: 'INVALID_TOPIC_FILTER' },
  { name: 'SUBSCRIBE requested QoS 3', packet: { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'a', qos: 3 as 0 }] }, code: 'INVALID_QOS' },
  { name: 'UNSUBSCRIBE without filters', packet: { type: PacketType.UNSUBSCRIBE, packetId: 1, topicFilters: [] }, code: 'NO_SUBSCRIPTIONS' },
  { name: 'UNSUBSCRIBE filter #/a', packet: { type: PacketType.UNSUBSCRIBE, packetId: 1, topicFilters: ['#/a'] }, code: 'INVALID_TOPIC_FILTER' },
  { name: 'SUBACK code 3', packet: { type: PacketType.SUBACK, packetId: 1, granted: [3 as 0] }, code: 'INVALID_SUBACK_CODE' },
  { name: 'SUBACK without codes', packet: { type: PacketType.SUBACK, packetId: 1, granted: [] }, code: 'INVALID_FIELD' },
  { name: 'CONNACK return code 6', packet: { type: PacketType.CONNACK, sessionPresent: false, returnCode: 6 as ConnackCode }, code: 'CONNACK_INVALID_RETURN_CODE' },
  { name: 'CONNECT password without user name', packet: { type: PacketType.CONNECT, clientId: 'a', cleanSession: true, keepAlive: 0, password: bytes(1) }, code: 'INVALID_CONNECT_FLAGS' },
  { name: 'CONNECT empty client id without clean session', packet: { type: PacketType.CONNECT, clientId: '', cleanSession: false, keepAlive: 0 }, code: 'INVALID_FIELD' },
  { name: 'CONNECT keepAlive 65536', packet: { type: PacketType.CONNECT, clientId: 'a', cleanSession: true, keepAlive: 65536 }, code: 'INVALID_FIELD' },
  { name: 'CONNECT will topic with wildcard', packet: { type: PacketType.CONNECT, clientId: 'a', cleanSession: true, keepAlive: 0, will: { topic: 'a/#', payload: bytes(), qos: 0, retain: false } }, code: 'WILDCARD_IN_TOPIC' },
  { name: 'CONNECT will QoS 3', packet: { type: PacketType.CONNECT, clientId: 'a', cleanSession: true, keepAlive: 0, will: { topic: 'a', payload: bytes(), qos: 3 as 0, retain: false } }, code: 'INVALID_QOS' },
  { name: 'CONNECT client id with lone low surrogate', packet: { type: PacketType.CONNECT, clientId: '\udc00', cleanSession: true, keepAlive: 0 }, code: 'INVALID_UTF8' },
  { name: 'CONNECT password over 65535 bytes', packet: { type: PacketType.CONNECT, clientId: 'a', cleanSession: true, keepAlive: 0, username: 'u', password: new Uint8Array(65536) }, code: 'FIELD_TOO_LONG' },
  { name: 'unknown packet type 15', packet: { type: 15 } as unknown as Packet, code: 'UNKNOWN_PACKET_TYPE' },
];
