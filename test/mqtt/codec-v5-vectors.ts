/**
 * Byte-exact MQTT 5.0 vectors, hand-written from the OASIS MQTT 5.0 specification (section 3, and
 * 2.2.2 for properties), shared by codec-v5.suite.ts (Node and XS) and codec-v5.test.ts
 * (cross-checked against mqtt-packet with protocolVersion 5). Packets are in the shape the
 * decoder yields (reason codes and subscription options always present).
 */
import { PacketType, type Packet, type ProtocolErrorCode } from '../../src/mqtt/packets';
import { toHex, type Vector } from './codec-vectors';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const ascii = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};
const long = 'x'.repeat(200);

export const V5_VECTORS: Vector[] = [
  {
    name: 'v5 CONNECT minimal, Clean Start, keep alive 60, no properties',
    packet: { type: PacketType.CONNECT, protocolVersion: 5, clientId: 'dev', cleanSession: true, keepAlive: 60 },
    // 10 10 | 0004 "MQTT" 05 flags=02 keepalive=003c | property length 00 | 0003 "dev"
    hex: '10 10  0004 4d515454 05 02 003c  00  0003 646576',
  },
  {
    name: 'v5 CONNECT with properties, will properties, password without user name',
    packet: {
      type: PacketType.CONNECT,
      protocolVersion: 5,
      clientId: 'dev',
      cleanSession: true,
      keepAlive: 60,
      properties: { sessionExpiryInterval: 3600, receiveMaximum: 10, topicAliasMaximum: 5, userProperties: [['a', 'b']] },
      will: { topic: 'w', payload: bytes(9), qos: 1, retain: false, properties: { payloadFormatIndicator: true, willDelayInterval: 5 } },
      password: bytes(1, 2),
    },
    // flags: password 40 | will QoS 1 08 | will 04 | clean 02 = 4e (5.0 allows a password without user name)
    // properties (0x12 bytes): 11 00000e10 | 21 000a | 22 0005 | 26 0001 "a" 0001 "b"
    // will properties (7): 01 01 | 18 00000005
    hex: '10 34  0004 4d515454 05 4e 003c  12 1100000e10 21000a 220005 26000161000162  0003 646576  07 0101 1800000005  0001 77  0001 09  0002 0102',
  },
  {
    name: 'v5 CONNACK success with server properties',
    packet: {
      type: PacketType.CONNACK,
      sessionPresent: false,
      returnCode: 0,
      properties: { assignedClientIdentifier: 'x', serverKeepAlive: 30, receiveMaximum: 20, topicAliasMaximum: 10, maximumQoS: 1, retainAvailable: false, maximumPacketSize: 1024 },
    },
    hex: '20 19  00 00  16 12000178 13001e 210014 22000a 2401 2500 2700000400',
  },
  { name: 'v5 CONNACK refused 0x87 Not authorized', packet: { type: PacketType.CONNACK, sessionPresent: false, returnCode: 0x87 }, hex: '20 03 00 87 00' },
  {
    name: 'v5 PUBLISH QoS 0 without properties',
    packet: { type: PacketType.PUBLISH, topic: 'a', payload: ascii('hi'), qos: 0, retain: false, dup: false },
    hex: '30 06  0001 61  00  6869',
  },
  {
    name: 'v5 PUBLISH QoS 1 with request/response, content type, expiry and repeated user properties',
    packet: {
      type: PacketType.PUBLISH,
      topic: 'a/b',
      payload: bytes(1),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 7,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 60,
        contentType: 'text/plain',
        responseTopic: 'r/1',
        correlationData: bytes(0xab, 0xcd),
        userProperties: [
          ['k', 'v'],
          ['k', 'w'],
        ],
      },
    },
    hex:
      '32 36  0003 612f62  0007  2d  0101  020000003c  03000a ' +
      toHex(ascii('text/plain')) +
      '  080003722f31  090002abcd  26 0001 6b 0001 76  26 0001 6b 0001 77  01',
  },
  {
    name: 'v5 PUBLISH QoS 2 retain by topic alias (empty topic), two subscription identifiers',
    packet: {
      type: PacketType.PUBLISH,
      topic: '',
      payload: bytes(),
      qos: 2,
      retain: true,
      dup: false,
      packetId: 9,
      properties: { subscriptionIdentifier: [1, 300], topicAlias: 3 },
    },
    // 300 as a Variable Byte Integer: ac 02
    hex: '35 0d  0000  0009  08 0b01 0bac02 230003',
  },
  {
    name: 'v5 PUBLISH with a property section over 127 bytes (2-byte length)',
    packet: { type: PacketType.PUBLISH, topic: 't', payload: bytes(), qos: 0, retain: false, dup: false, properties: { userProperties: [['k', long]] } },
    // one user property: 26 | 0001 "k" | 00c8 + 200 "x" = 206 bytes = ce 01; remaining 3 + 2 + 206 = 211 = d3 01
    hex: '30 d301  0001 74  ce01  26 0001 6b 00c8 ' + toHex(ascii(long)),
  },
  { name: 'v5 PUBACK Success, reason code left off', packet: { type: PacketType.PUBACK, packetId: 1, reasonCode: 0 }, hex: '40 02 0001' },
  { name: 'v5 PUBACK 0x10 No matching subscribers', packet: { type: PacketType.PUBACK, packetId: 1, reasonCode: 0x10 }, hex: '40 03 0001 10' },
  {
    name: 'v5 PUBREC 0x80 with a reason string',
    packet: { type: PacketType.PUBREC, packetId: 2, reasonCode: 0x80, properties: { reasonString: 'no' } },
    hex: '50 09 0002 80 05 1f00026e6f',
  },
  { name: 'v5 PUBREL 0x92 Packet Identifier not found', packet: { type: PacketType.PUBREL, packetId: 3, reasonCode: 0x92 }, hex: '62 03 0003 92' },
  {
    name: 'v5 PUBCOMP Success with a user property',
    packet: { type: PacketType.PUBCOMP, packetId: 4, reasonCode: 0, properties: { userProperties: [['a', 'b']] } },
    hex: '70 0b 0004 00 07 26000161000162',
  },
  {
    name: 'v5 SUBSCRIBE with subscription identifier and options',
    packet: {
      type: PacketType.SUBSCRIBE,
      packetId: 5,
      properties: { subscriptionIdentifier: 42 },
      subscriptions: [
        { topicFilter: 'a/+', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 },
        { topicFilter: '#', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      ],
    },
    // options: QoS 1 | No Local 04 | Retain As Published 08 | Retain Handling 2 << 4 = 2d
    hex: '82 0f  0005  02 0b2a  0003 612f2b 2d  0001 23 00',
  },
  { name: 'v5 SUBACK granted and refused', packet: { type: PacketType.SUBACK, packetId: 5, granted: [1, 0, 0x87, 0xa2] }, hex: '90 07 0005 00 01 00 87 a2' },
  { name: 'v5 UNSUBSCRIBE', packet: { type: PacketType.UNSUBSCRIBE, packetId: 6, topicFilters: ['a/+'] }, hex: 'a2 08 0006 00 0003 612f2b' },
  { name: 'v5 UNSUBACK with reason codes', packet: { type: PacketType.UNSUBACK, packetId: 6, reasonCodes: [0, 0x11] }, hex: 'b0 05 0006 00 0011' },
  { name: 'v5 PINGREQ', packet: { type: PacketType.PINGREQ }, hex: 'c0 00' },
  { name: 'v5 PINGRESP', packet: { type: PacketType.PINGRESP }, hex: 'd0 00' },
  { name: 'v5 DISCONNECT normal (empty)', packet: { type: PacketType.DISCONNECT, reasonCode: 0 }, hex: 'e0 00' },
  {
    name: 'v5 DISCONNECT 0x8e Session taken over with a reason string',
    packet: { type: PacketType.DISCONNECT, reasonCode: 0x8e, properties: { reasonString: 'x' } },
    hex: 'e0 06 8e 04 1f000178',
  },
  {
    name: 'v5 DISCONNECT with will, session expiry 0',
    packet: { type: PacketType.DISCONNECT, reasonCode: 0x04, properties: { sessionExpiryInterval: 0 } },
    hex: 'e0 07 04 05 1100000000',
  },
  {
    name: 'v5 AUTH continue authentication',
    packet: { type: PacketType.AUTH, reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: bytes(1) } },
    hex: 'f0 0e 18 0c 150005' + toHex(ascii('SCRAM')) + ' 16000101',
  },
  { name: 'v5 AUTH success (empty)', packet: { type: PacketType.AUTH, reasonCode: 0 }, hex: 'f0 00' },
];

/** 5.0 bytes the decoder must reject, with the named error. */
export const V5_DECODE_ERRORS: { name: string; hex: string; code: ProtocolErrorCode }[] = [
  { name: 'unknown property identifier 0xff', hex: '30 06 0001 74 02 ff00', code: 'UNKNOWN_PROPERTY' },
  { name: 'unknown property identifier 0x04', hex: '30 06 0001 74 02 0400', code: 'UNKNOWN_PROPERTY' },
  { name: 'Payload Format Indicator twice', hex: '30 08 0001 74 04 0100 0100', code: 'DUPLICATE_PROPERTY' },
  { name: 'two Subscription Identifiers on SUBSCRIBE', hex: '82 0b 0001 04 0b01 0b02 0001 61 00', code: 'DUPLICATE_PROPERTY' },
  { name: 'Session Expiry Interval on PUBLISH', hex: '30 09 0001 74 05 1100000000', code: 'PROPERTY_NOT_ALLOWED' },
  { name: 'Topic Alias on CONNECT', hex: '10 11 0004 4d515454 05 02 003c 03 230001 0001 61', code: 'PROPERTY_NOT_ALLOWED' },
  { name: 'Session Expiry Interval in will properties', hex: '10 19 0004 4d515454 05 06 003c 00 0001 61 05 1100000000 0001 78 0000', code: 'PROPERTY_NOT_ALLOWED' },
  { name: 'Reason String on PUBLISH', hex: '30 08 0001 74 04 1f000178', code: 'PROPERTY_NOT_ALLOWED' },
  { name: 'Payload Format Indicator 2', hex: '30 06 0001 74 02 0102', code: 'INVALID_PROPERTY' },
  { name: 'Receive Maximum 0 on CONNACK', hex: '20 06 00 00 03 210000', code: 'INVALID_PROPERTY' },
  { name: 'Maximum Packet Size 0 on CONNACK', hex: '20 08 00 00 05 2700000000', code: 'INVALID_PROPERTY' },
  { name: 'Maximum QoS 2 on CONNACK', hex: '20 05 00 00 02 2402', code: 'INVALID_PROPERTY' },
  { name: 'Subscription Identifier 0', hex: '82 09 0001 02 0b00 0001 61 00', code: 'INVALID_PROPERTY' },
  { name: 'Response Topic with a wildcard', hex: '30 0a 0001 74 06 080003612f23', code: 'INVALID_PROPERTY' },
  { name: 'Topic Alias 0', hex: '30 07 0001 74 03 230000', code: 'TOPIC_ALIAS_INVALID' },
  { name: 'property length past the end of the packet', hex: '30 04 0001 74 05', code: 'BAD_LENGTH' },
  { name: 'Message Expiry Interval truncated', hex: '30 07 0001 74 03 020000', code: 'MALFORMED_PROPERTY' },
  { name: 'property length not minimally encoded', hex: '30 05 0001 74 8000', code: 'MALFORMED_PROPERTY' },
  { name: 'Subscription Identifier in 5 bytes', hex: '82 0d 0001 06 0bffffffff7f 0001 61 00', code: 'MALFORMED_PROPERTY' },
  { name: 'User Property name not UTF-8', hex: '30 0b 0001 74 07 260001ff000161', code: 'INVALID_UTF8' },
  { name: 'Content Type with U+0000', hex: '30 08 0001 74 04 03000100', code: 'NULL_CHARACTER' },
  { name: 'PUBACK reason code 0x05', hex: '40 03 0001 05', code: 'INVALID_REASON_CODE' },
  { name: 'PUBREL reason code 0x10 (PUBACK only)', hex: '62 03 0001 10', code: 'INVALID_REASON_CODE' },
  { name: 'CONNACK reason code 0x05 (a 3.1.1 return code)', hex: '20 03 00 05 00', code: 'INVALID_REASON_CODE' },
  { name: 'SUBACK reason code 0x03', hex: '90 04 0001 00 03', code: 'INVALID_REASON_CODE' },
  { name: 'UNSUBACK reason code 0x01', hex: 'b0 04 0001 00 01', code: 'INVALID_REASON_CODE' },
  { name: 'DISCONNECT reason code 0x05', hex: 'e0 01 05', code: 'INVALID_REASON_CODE' },
  { name: 'DISCONNECT reason code 0x84 (CONNACK only)', hex: 'e0 01 84', code: 'INVALID_REASON_CODE' },
  { name: 'AUTH reason code 0x01', hex: 'f0 01 01', code: 'INVALID_REASON_CODE' },
  { name: 'AUTH with flags 0001', hex: 'f1 00', code: 'RESERVED_FLAGS' },
  { name: 'PUBLISH empty topic without Topic Alias', hex: '30 03 0000 00', code: 'EMPTY_TOPIC' },
  { name: 'SUBSCRIBE options with reserved bits', hex: '82 07 0001 00 0001 61 c0', code: 'RESERVED_FLAGS' },
  { name: 'SUBSCRIBE Retain Handling 3', hex: '82 07 0001 00 0001 61 30', code: 'INVALID_FIELD' },
  { name: 'SUBSCRIBE maximum QoS 3', hex: '82 07 0001 00 0001 61 03', code: 'INVALID_QOS' },
  { name: 'CONNACK without property length', hex: '20 02 00 00', code: 'BAD_LENGTH' },
  { name: 'SUBACK without reason codes', hex: '90 03 0001 00', code: 'BAD_LENGTH' },
  { name: 'PUBACK byte after its properties', hex: '40 05 0001 00 00 ff', code: 'BAD_LENGTH' },
  { name: 'remaining length not minimally encoded', hex: 'd0 80 00', code: 'BAD_LENGTH' },
  { name: 'PINGRESP remaining length 1', hex: 'd0 01 00', code: 'BAD_LENGTH' },
  { name: 'CONNECT protocol level 6', hex: '10 0e 0004 4d515454 06 02 003c 00 0001 61', code: 'BAD_PROTOCOL_LEVEL' },
];

/** 5.0 packets encode() must refuse, with the named error. */
export const V5_ENCODE_ERRORS: { name: string; packet: Packet; code: ProtocolErrorCode }[] = [
  { name: 'Session Expiry Interval on PUBLISH', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 0, retain: false, dup: false, properties: { sessionExpiryInterval: 1 } }, code: 'PROPERTY_NOT_ALLOWED' },
  { name: 'Topic Alias 0', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 0, retain: false, dup: false, properties: { topicAlias: 0 } }, code: 'TOPIC_ALIAS_INVALID' },
  { name: 'Topic Alias 65536', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 0, retain: false, dup: false, properties: { topicAlias: 65536 } }, code: 'INVALID_PROPERTY' },
  { name: 'empty topic without Topic Alias', packet: { type: PacketType.PUBLISH, topic: '', payload: bytes(), qos: 0, retain: false, dup: false, properties: {} }, code: 'EMPTY_TOPIC' },
  { name: 'Payload Format Indicator as a number', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 0, retain: false, dup: false, properties: { payloadFormatIndicator: 1 as unknown as boolean } }, code: 'INVALID_PROPERTY' },
  { name: 'User Property with U+0000', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 0, retain: false, dup: false, properties: { userProperties: [['a', '\u0000']] } }, code: 'NULL_CHARACTER' },
  { name: 'Response Topic with a wildcard', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 0, retain: false, dup: false, properties: { responseTopic: 'r/+' } }, code: 'WILDCARD_IN_TOPIC' },
  { name: 'Message Expiry Interval 2^32', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 0, retain: false, dup: false, properties: { messageExpiryInterval: 2 ** 32 } }, code: 'INVALID_PROPERTY' },
  { name: 'Correlation Data over 65535 bytes', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 0, retain: false, dup: false, properties: { correlationData: new Uint8Array(65536) } }, code: 'FIELD_TOO_LONG' },
  { name: 'two Subscription Identifiers on SUBSCRIBE', packet: { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'a', qos: 0 }], properties: { subscriptionIdentifier: [1, 2] } }, code: 'INVALID_PROPERTY' },
  { name: 'Retain Handling 3', packet: { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'a', qos: 0, retainHandling: 3 as 0 }] }, code: 'INVALID_FIELD' },
  { name: 'Receive Maximum 0 on CONNECT', packet: { type: PacketType.CONNECT, protocolVersion: 5, clientId: 'a', cleanSession: true, keepAlive: 0, properties: { receiveMaximum: 0 } }, code: 'INVALID_PROPERTY' },
  { name: 'Will Delay Interval on CONNECT (will only)', packet: { type: PacketType.CONNECT, protocolVersion: 5, clientId: 'a', cleanSession: true, keepAlive: 0, properties: { willDelayInterval: 1 } }, code: 'PROPERTY_NOT_ALLOWED' },
  { name: 'PUBACK reason code 0x05', packet: { type: PacketType.PUBACK, packetId: 1, reasonCode: 5 }, code: 'INVALID_REASON_CODE' },
  { name: 'DISCONNECT reason code 0x84', packet: { type: PacketType.DISCONNECT, reasonCode: 0x84 }, code: 'INVALID_REASON_CODE' },
  { name: 'CONNACK reason code 0x05', packet: { type: PacketType.CONNACK, sessionPresent: false, returnCode: 5 }, code: 'INVALID_REASON_CODE' },
  { name: 'UNSUBACK without reason codes', packet: { type: PacketType.UNSUBACK, packetId: 1 }, code: 'INVALID_FIELD' },
  { name: 'SUBACK code 0x11 (UNSUBACK only)', packet: { type: PacketType.SUBACK, packetId: 1, granted: [0x11 as 0] }, code: 'INVALID_REASON_CODE' },
];

/** 5.0 fields on a packet encoded as 3.1.1, with the named error. */
export const V4_REFUSES_V5: { name: string; packet: Packet; code: ProtocolErrorCode }[] = [
  { name: 'PUBLISH with properties', packet: { type: PacketType.PUBLISH, topic: 'a', payload: bytes(), qos: 0, retain: false, dup: false, properties: { contentType: 'x' } }, code: 'PROPERTY_NOT_ALLOWED' },
  { name: 'PUBACK with a reason code', packet: { type: PacketType.PUBACK, packetId: 1, reasonCode: 0x80 }, code: 'INVALID_REASON_CODE' },
  { name: 'AUTH', packet: { type: PacketType.AUTH, reasonCode: 0 }, code: 'UNKNOWN_PACKET_TYPE' },
];
