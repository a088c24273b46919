/**
 * MQTT 5.0 packet bodies for the streaming decoder (./decoder), which handles the fixed header,
 * chunking and CONNECT for both versions. OASIS MQTT 5.0 section 3, packet by packet.
 *
 * Decoded 5.0 packets always carry their reason code (0 where the wire left it off: an
 * acknowledgement of 2 bytes, an empty DISCONNECT or AUTH), UNSUBACK its reasonCodes, a
 * Subscription its noLocal / retainAsPublished / retainHandling; `properties` is present only
 * when the property section is not empty.
 *
 * Checks beyond 3.1.1's, each a named ProtocolErrorCode: properties as ./properties says
 * (UNKNOWN_PROPERTY, DUPLICATE_PROPERTY, PROPERTY_NOT_ALLOWED, INVALID_PROPERTY,
 * MALFORMED_PROPERTY); a reason code the packet type does not define: INVALID_REASON_CODE;
 * an empty PUBLISH topic without a Topic Alias: EMPTY_TOPIC; subscription options with reserved
 * bits 6-7: RESERVED_FLAGS, Retain Handling 3: INVALID_FIELD, QoS 3: INVALID_QOS; SUBACK or
 * UNSUBACK without reason codes, CONNACK shorter than 3 bytes, bytes after the last field:
 * BAD_LENGTH; CONNACK acknowledge flags bits 7..1: RESERVED_FLAGS.
 */
import { PacketType, type Packet, type ProtocolErrorCode, type PublishPacket, type QoS, type SubackCode, type Subscription } from './packets';
import { readProperties, type Properties, type PropertyRead } from './properties';
import { isReasonCodeAllowed, reasonCodeName } from './reason-codes';
import type { NativeUtf8Decoder } from '../text/utf8';

/** The decoder's field readers this module uses (./decoder implements them). */
export interface FieldReader {
  cursor: number;
  readonly text: NativeUtf8Decoder | undefined;
  readonly propertyRead: PropertyRead;
  fail(code: ProtocolErrorCode, message: string): void;
  short(what: string): undefined;
  field(buf: Uint8Array, end: number, what: string): number;
  readTopicName(buf: Uint8Array, end: number, what: string): string | undefined;
  readTopicFilter(buf: Uint8Array, end: number, what: string): string | undefined;
  readId(buf: Uint8Array, end: number, what: string): number;
  payload(buf: Uint8Array, start: number, end: number): Uint8Array;
}

/**
 * Reads a property section at d.cursor and moves the cursor past it. Returns the properties,
 * undefined when the section is empty, or null after reporting an error.
 */
export function readPropertiesInto(d: FieldReader, buf: Uint8Array, end: number, type: number): Properties | undefined | null {
  const r = d.propertyRead;
  const props = readProperties(buf, d.cursor, end, type, d.text, r);
  if (r.error !== undefined) {
    d.fail(r.error.code, r.error.message);
    return null;
  }
  d.cursor = r.pos;
  return props;
}

function reasonCode(d: FieldReader, type: number, code: number, name: string): boolean {
  if (isReasonCodeAllowed(type, code)) return true;
  d.fail('INVALID_REASON_CODE', `${name} reason code 0x${code.toString(16)} (${reasonCodeName(code)}) is not defined for ${name}`);
  return false;
}

function trailing(d: FieldReader, end: number, name: string): boolean {
  if (d.cursor === end) return false;
  d.fail('BAD_LENGTH', `${name} has ${end - d.cursor} bytes after its last field`);
  return true;
}

function decodePublish(d: FieldReader, first: number, buf: Uint8Array, end: number): Packet | undefined {
  const fieldStart = d.cursor;
  const fieldEnd = d.field(buf, end, 'PUBLISH topic name');
  if (fieldEnd < 0) return undefined;
  let topic = '';
  if (fieldEnd === fieldStart + 2) d.cursor = fieldEnd;
  else {
    const t = d.readTopicName(buf, end, 'PUBLISH topic name');
    if (t === undefined) return undefined;
    topic = t;
  }
  const qos = ((first >> 1) & 3) as QoS;
  let packetId = 0;
  if (qos !== 0) {
    packetId = d.readId(buf, end, 'PUBLISH');
    if (packetId < 0) return undefined;
  }
  const properties = readPropertiesInto(d, buf, end, PacketType.PUBLISH);
  if (properties === null) return undefined;
  if (topic === '' && (properties === undefined || properties.topicAlias === undefined)) {
    d.fail('EMPTY_TOPIC', 'PUBLISH topic name is empty and there is no Topic Alias [MQTT-3.3.2-1]');
    return undefined;
  }
  const packet: PublishPacket = { type: PacketType.PUBLISH, topic, payload: d.payload(buf, d.cursor, end), qos, retain: (first & 1) !== 0, dup: (first & 8) !== 0 };
  if (qos !== 0) packet.packetId = packetId;
  if (properties) packet.properties = properties;
  return packet;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP: id, then reason code and properties if the length says so. */
function decodeAck(d: FieldReader, type: number, buf: Uint8Array, end: number, name: string): Packet | undefined {
  const packetId = d.readId(buf, end, name);
  if (packetId < 0) return undefined;
  const packet = { type, packetId, reasonCode: 0 } as Packet & { reasonCode: number };
  return decodeReason(d, type, buf, end, name, packet) ? packet : undefined;
}

/** A reason code and properties that may be left off (acks, DISCONNECT, AUTH), into `packet`; false on error. */
function decodeReason(d: FieldReader, type: number, buf: Uint8Array, end: number, name: string, packet: { reasonCode: number; properties?: Properties }): boolean {
  if (d.cursor === end) return true;
  const code = buf[d.cursor++];
  if (!reasonCode(d, type, code, name)) return false;
  packet.reasonCode = code;
  if (d.cursor === end) return true;
  const properties = readPropertiesInto(d, buf, end, type);
  if (properties === null || trailing(d, end, name)) return false;
  if (properties) packet.properties = properties;
  return true;
}

function decodeConnack(d: FieldReader, buf: Uint8Array, start: number, end: number): Packet | undefined {
  if (end - start < 3) return d.short('CONNACK properties');
  const flags = buf[start];
  const code = buf[start + 1];
  if (flags & 0xfe) {
    d.fail('RESERVED_FLAGS', `CONNACK acknowledge flags 0x${flags.toString(16)}`);
    return undefined;
  }
  if (!reasonCode(d, PacketType.CONNACK, code, 'CONNACK')) return undefined;
  d.cursor = start + 2;
  const properties = readPropertiesInto(d, buf, end, PacketType.CONNACK);
  if (properties === null || trailing(d, end, 'CONNACK')) return undefined;
  const packet: Packet = { type: PacketType.CONNACK, sessionPresent: flags === 1, returnCode: code };
  if (properties) packet.properties = properties;
  return packet;
}

function decodeSubscribe(d: FieldReader, buf: Uint8Array, end: number): Packet | undefined {
  const packetId = d.readId(buf, end, 'SUBSCRIBE');
  if (packetId < 0) return undefined;
  const properties = readPropertiesInto(d, buf, end, PacketType.SUBSCRIBE);
  if (properties === null) return undefined;
  const subscriptions: Subscription[] = [];
  while (d.cursor < end) {
    const topicFilter = d.readTopicFilter(buf, end, 'SUBSCRIBE topic filter');
    if (topicFilter === undefined) return undefined;
    if (d.cursor >= end) return d.short('SUBSCRIBE options');
    const o = buf[d.cursor++];
    if (o & 0xc0) {
      d.fail('RESERVED_FLAGS', `SUBSCRIBE options 0x${o.toString(16)} have reserved bits 6-7 set [MQTT-3.8.3-5]`);
      return undefined;
    }
    if ((o & 3) === 3) {
      d.fail('INVALID_QOS', 'SUBSCRIBE maximum QoS 3');
      return undefined;
    }
    if ((o >> 4) === 3) {
      d.fail('INVALID_FIELD', 'SUBSCRIBE Retain Handling 3');
      return undefined;
    }
    subscriptions.push({ topicFilter, qos: (o & 3) as QoS, noLocal: (o & 4) !== 0, retainAsPublished: (o & 8) !== 0, retainHandling: (o >> 4) as 0 | 1 | 2 });
  }
  if (subscriptions.length === 0) {
    d.fail('NO_SUBSCRIPTIONS', 'SUBSCRIBE without topic filters [MQTT-3.8.3-3]');
    return undefined;
  }
  const packet: Packet = { type: PacketType.SUBSCRIBE, packetId, subscriptions };
  if (properties) packet.properties = properties;
  return packet;
}

/** SUBACK and UNSUBACK: id, properties, one reason code per filter. */
function decodeSubackLike(d: FieldReader, type: number, buf: Uint8Array, end: number, name: string): Packet | undefined {
  const packetId = d.readId(buf, end, name);
  if (packetId < 0) return undefined;
  const properties = readPropertiesInto(d, buf, end, type);
  if (properties === null) return undefined;
  if (d.cursor >= end) return d.short(`${name} reason codes`);
  const codes: number[] = [];
  for (let i = d.cursor; i < end; i++) {
    if (!reasonCode(d, type, buf[i], name)) return undefined;
    codes.push(buf[i]);
  }
  const packet: Packet =
    type === PacketType.SUBACK
      ? { type: PacketType.SUBACK, packetId, granted: codes as SubackCode[] }
      : { type: PacketType.UNSUBACK, packetId, reasonCodes: codes };
  if (properties) packet.properties = properties;
  return packet;
}

function decodeUnsubscribe(d: FieldReader, buf: Uint8Array, end: number): Packet | undefined {
  const packetId = d.readId(buf, end, 'UNSUBSCRIBE');
  if (packetId < 0) return undefined;
  const properties = readPropertiesInto(d, buf, end, PacketType.UNSUBSCRIBE);
  if (properties === null) return undefined;
  const topicFilters: string[] = [];
  while (d.cursor < end) {
    const filter = d.readTopicFilter(buf, end, 'UNSUBSCRIBE topic filter');
    if (filter === undefined) return undefined;
    topicFilters.push(filter);
  }
  if (topicFilters.length === 0) {
    d.fail('NO_SUBSCRIPTIONS', 'UNSUBSCRIBE without topic filters [MQTT-3.10.3-2]');
    return undefined;
  }
  const packet: Packet = { type: PacketType.UNSUBSCRIBE, packetId, topicFilters };
  if (properties) packet.properties = properties;
  return packet;
}

/**
 * True (and the error reported) when a remaining length of `remaining` took more than the
 * fewest bytes, which 5.0 forbids for every Variable Byte Integer [MQTT-1.5.5-1] (3.1.1 does not).
 */
export function nonMinimalLength(d: FieldReader, remaining: number, lengthBytes: number): boolean {
  if (lengthBytes === 1 || remaining >= 128 ** (lengthBytes - 1)) return false;
  d.fail('BAD_LENGTH', `remaining length ${remaining} in ${lengthBytes} bytes is not minimally encoded [MQTT-1.5.5-1]`);
  return true;
}

/**
 * Decodes the body buf[start..end) of a 5.0 packet (not CONNECT) whose fixed header passed the
 * checks; lengthBytes is how many bytes its remaining length took.
 */
export function decodeBody5(d: FieldReader, first: number, buf: Uint8Array, start: number, end: number, lengthBytes: number): Packet | undefined {
  if (nonMinimalLength(d, end - start, lengthBytes)) return undefined;
  d.cursor = start;
  const type = first >> 4;
  switch (type) {
    case PacketType.PUBLISH:
      return decodePublish(d, first, buf, end);
    case PacketType.PUBACK:
      return decodeAck(d, type, buf, end, 'PUBACK');
    case PacketType.PUBREC:
      return decodeAck(d, type, buf, end, 'PUBREC');
    case PacketType.PUBREL:
      return decodeAck(d, type, buf, end, 'PUBREL');
    case PacketType.PUBCOMP:
      return decodeAck(d, type, buf, end, 'PUBCOMP');
    case PacketType.CONNACK:
      return decodeConnack(d, buf, start, end);
    case PacketType.SUBSCRIBE:
      return decodeSubscribe(d, buf, end);
    case PacketType.SUBACK:
      return decodeSubackLike(d, type, buf, end, 'SUBACK');
    case PacketType.UNSUBSCRIBE:
      return decodeUnsubscribe(d, buf, end);
    case PacketType.UNSUBACK:
      return decodeSubackLike(d, type, buf, end, 'UNSUBACK');
    case PacketType.PINGREQ:
    case PacketType.PINGRESP:
      return { type } as Packet;
    case PacketType.DISCONNECT:
    case PacketType.AUTH: {
      const packet = { type, reasonCode: 0 } as Packet & { reasonCode: number };
      return decodeReason(d, type, buf, end, type === PacketType.AUTH ? 'AUTH' : 'DISCONNECT', packet) ? packet : undefined;
    }
    default:
      return undefined; // unreachable: the fixed header check rejected type 0
  }
}
