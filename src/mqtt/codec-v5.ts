/**
 * MQTT 5.0 packet bodies for the encoder (./codec): measure5 validates a packet and returns its
 * remaining length (or the named error); writeBody5 writes the variable header and payload of a
 * measured packet. OASIS MQTT 5.0 section 3, packet by packet.
 *
 * Beyond the 3.1.1 checks (./codec): properties are validated by ./properties (not allowed on
 * the type, out of range, ...); reason codes must be ones the type defines (./reason-codes):
 * INVALID_REASON_CODE; a PUBLISH topic may be empty only with a Topic Alias (EMPTY_TOPIC
 * otherwise); Retain Handling other than 0, 1, 2: INVALID_FIELD;
 * UNSUBACK needs one reason code per filter (at least one): INVALID_FIELD.
 * A password without a user name and an empty client id without Clean Start are allowed in 5.0
 * (3.1.2.9, 3.1.3.1).
 *
 * Reason codes are left off the wire where 5.0 allows it: an acknowledgement with Success and no
 * properties is 2 bytes (3.4.2.1), a DISCONNECT or AUTH with Success and no properties is empty
 * (3.14.2.1, 3.15.2.1).
 */
import { protocolError } from './errors';
import { packetTypeName, PacketType, type Packet, type ProtocolError, type PublishPacket, type Subscription } from './packets';
import { measureProperties, WILL_PROPERTIES, writeProperties, type Properties } from './properties';
import { isReasonCodeAllowed } from './reason-codes';
import { MAX_STRING_BYTES, topicFilterLength, topicNameLength } from './topic';
import { binaryField, checkPacketId, isQos, MAX_REMAINING_LENGTH, stringField, varintSize, writeBinary, writeId, writeString } from './wire';
import { nativeUtf8Encoder, utf8Length } from '../text/utf8';

/** Native UTF-8 writer for the PUBLISH hot path (module-local: cheaper than an imported binding). */
const encoder = nativeUtf8Encoder();

/**
 * The 5.0 PUBLISH hot path, for a packet whose only property is its topic alias (or none):
 * validated while written, one pass, like 3.1.1's (./codec). `alias` 0 writes an empty property
 * section; 1..65535 a section holding only that Topic Alias, and the topic may then be ''
 * (p.properties is not read). Returns the bytes written, or 0 when the packet is not that
 * (non-ASCII or invalid topic, bad id or alias, no room): the caller takes the general path,
 * which reports errors. May have written into b[offset..] before declining.
 */
export function encodeAliasedPublish(p: PublishPacket, alias: number, b: Uint8Array, offset: number, topicBytes?: Uint8Array): number {
  const topic = p.topic;
  // topicBytes: p.topic validated and encoded already (./topic-cache), written as they are.
  const topicLength = topic.length === 0 || topicBytes === undefined ? topic.length : topicBytes.length;
  const payload = p.payload;
  const qos = p.qos;
  let idBytes = 0;
  if (qos !== 0) {
    const id = p.packetId as number;
    if ((qos !== 1 && qos !== 2) || !(id >= 1 && id <= 65535) || (id | 0) !== id) return 0;
    idBytes = 2;
  } else if (p.dup) {
    return 0;
  }
  if (alias !== 0 && !(alias >= 1 && alias <= 65535 && (alias | 0) === alias)) return 0;
  if ((topicLength === 0 && alias === 0) || topicLength > MAX_STRING_BYTES || (!encoder && topicBytes === undefined)) return 0;
  const propertyBytes = alias === 0 ? 1 : 4;
  const remaining = 2 + topicLength + idBytes + propertyBytes + payload.length;
  if (remaining > MAX_REMAINING_LENGTH) return 0;
  const total = 1 + varintSize(remaining) + remaining;
  if (!(offset >= 0) || offset + total > b.length) return 0;
  let o = offset + total - remaining;
  b[o++] = topicLength >> 8;
  b[o++] = topicLength & 0xff;
  if (topicLength > 0 && topicBytes !== undefined) {
    b.set(topicBytes, o);
    o += topicLength;
  } else if (topicLength > 0 && encoder) {
    if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0 || topic.indexOf('\u0000') >= 0) return 0;
    // Every unit read and one byte written per unit means all ASCII (so no lone surrogate either).
    const r = encoder.encodeInto(topic, b.subarray(o, o + topicLength));
    if (r.read !== topicLength || r.written !== topicLength) return 0;
    o += topicLength;
  }
  if (idBytes !== 0) {
    const id = p.packetId as number;
    b[o++] = id >> 8;
    b[o++] = id & 0xff;
  }
  if (alias === 0) {
    b[o++] = 0;
  } else {
    b[o++] = 3;
    b[o++] = 0x23; // Topic Alias
    b[o++] = alias >> 8;
    b[o++] = alias & 0xff;
  }
  b.set(payload, o);
  o = offset;
  b[o++] = 0x30 | (p.dup ? 8 : 0) | (qos << 1) | (p.retain ? 1 : 0);
  let n = remaining;
  do {
    let v = n & 0x7f;
    n >>>= 7;
    if (n > 0) v |= 0x80;
    b[o++] = v;
  } while (n > 0);
  return total;
}

function fail(code: ProtocolError['code'], message: string): ProtocolError {
  return protocolError(code, message);
}

function checkReasonCode(type: number, code: number): ProtocolError | undefined {
  return isReasonCodeAllowed(type, code) ? undefined : fail('INVALID_REASON_CODE', `${packetTypeName(type)} reason code ${String(code)} is not defined for it`);
}

/**
 * Bytes after the packet id (acks) or from the start (DISCONNECT, AUTH) for a reason code and
 * properties that may both be left off: 0 (Success, no properties), 1 (code only) or 1 + section.
 */
function optionalReason(type: number, code: number, props: Properties | undefined): number | ProtocolError {
  const e = checkReasonCode(type, code);
  if (e) return e;
  const section = measureProperties(props, type);
  if (typeof section !== 'number') return section;
  if (section === 1) return code === 0 ? 0 : 1;
  return 1 + section;
}

function measureSubscription(s: Subscription): number | ProtocolError {
  if (!isQos(s.qos)) return fail('INVALID_QOS', `SUBSCRIBE requested QoS ${String(s.qos)}`);
  const rh = s.retainHandling;
  if (rh !== undefined && rh !== 0 && rh !== 1 && rh !== 2) return fail('INVALID_FIELD', `Retain Handling ${String(rh)} is not 0, 1 or 2`);
  const f = stringField(topicFilterLength(s.topicFilter), 'SUBSCRIBE topic filter');
  return typeof f === 'number' ? f + 1 : f;
}

function measureConnect(p: Packet & { type: typeof PacketType.CONNECT }): number | ProtocolError {
  let n = 10; // protocol name "MQTT" (6), level (1), flags (1), keep alive (2)
  if (!(p.keepAlive >= 0 && p.keepAlive <= 65535) || p.keepAlive !== Math.floor(p.keepAlive)) {
    return fail('INVALID_FIELD', `CONNECT keepAlive ${String(p.keepAlive)} is not in 0..65535`);
  }
  let f = measureProperties(p.properties, PacketType.CONNECT);
  if (typeof f !== 'number') return f;
  n += f;
  f = stringField(utf8Length(p.clientId, true), 'CONNECT client id');
  if (typeof f !== 'number') return f;
  n += f;
  const will = p.will;
  if (will) {
    if (!isQos(will.qos)) return fail('INVALID_QOS', `will QoS ${String(will.qos)}`);
    f = measureProperties(will.properties, WILL_PROPERTIES);
    if (typeof f !== 'number') return f;
    n += f;
    f = stringField(topicNameLength(will.topic), 'will topic');
    if (typeof f !== 'number') return f;
    n += f;
    f = binaryField(will.payload, 'will payload');
    if (typeof f !== 'number') return f;
    n += f;
  }
  if (p.username !== undefined) {
    f = stringField(utf8Length(p.username, true), 'CONNECT user name');
    if (typeof f !== 'number') return f;
    n += f;
  }
  if (p.password !== undefined) {
    f = binaryField(p.password, 'CONNECT password');
    if (typeof f !== 'number') return f;
    n += f;
  }
  return n;
}

function measurePublish(p: Packet & { type: typeof PacketType.PUBLISH }): number | ProtocolError {
  const aliased = p.topic === '' && p.properties !== undefined && p.properties.topicAlias !== undefined;
  let f = aliased ? 2 : stringField(topicNameLength(p.topic), 'PUBLISH topic name');
  if (typeof f !== 'number') return f;
  let n = f + p.payload.length;
  if (p.qos !== 0) {
    if (p.qos !== 1 && p.qos !== 2) return fail('INVALID_QOS', `PUBLISH QoS ${String(p.qos)}`);
    const e = checkPacketId(p.packetId, 'PUBLISH');
    if (e) return e;
    n += 2;
  } else if (p.dup) {
    return fail('RESERVED_FLAGS', 'DUP must be 0 on a QoS 0 PUBLISH [MQTT-3.3.1-2]');
  }
  f = measureProperties(p.properties, PacketType.PUBLISH);
  return typeof f === 'number' ? n + f : f;
}

/** Validates a 5.0 packet and returns its remaining length, or the error. */
export function measure5(p: Packet): number | ProtocolError {
  let n: number;
  let f: number | ProtocolError;
  let e: ProtocolError | undefined;
  switch (p.type) {
    case PacketType.PUBLISH:
      f = measurePublish(p);
      if (typeof f !== 'number') return f;
      n = f;
      break;
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      if ((e = checkPacketId(p.packetId, packetTypeName(p.type)))) return e;
      f = optionalReason(p.type, p.reasonCode ?? 0, p.properties);
      if (typeof f !== 'number') return f;
      n = 2 + f;
      break;
    case PacketType.CONNECT:
      f = measureConnect(p);
      if (typeof f !== 'number') return f;
      n = f;
      break;
    case PacketType.CONNACK:
      if ((e = checkReasonCode(PacketType.CONNACK, p.returnCode))) return e;
      f = measureProperties(p.properties, PacketType.CONNACK);
      if (typeof f !== 'number') return f;
      n = 2 + f;
      break;
    case PacketType.SUBSCRIBE: {
      if ((e = checkPacketId(p.packetId, 'SUBSCRIBE'))) return e;
      const subs = p.subscriptions;
      if (subs.length === 0) return fail('NO_SUBSCRIPTIONS', 'SUBSCRIBE without topic filters [MQTT-3.8.3-3]');
      f = measureProperties(p.properties, PacketType.SUBSCRIBE);
      if (typeof f !== 'number') return f;
      n = 2 + f;
      for (let i = 0; i < subs.length; i++) {
        f = measureSubscription(subs[i]);
        if (typeof f !== 'number') return f;
        n += f;
      }
      break;
    }
    case PacketType.SUBACK:
    case PacketType.UNSUBACK: {
      if ((e = checkPacketId(p.packetId, packetTypeName(p.type)))) return e;
      const codes: readonly number[] | undefined = p.type === PacketType.SUBACK ? p.granted : p.reasonCodes;
      if (codes === undefined || codes.length === 0) return fail('INVALID_FIELD', `${packetTypeName(p.type)} without reason codes`);
      for (let i = 0; i < codes.length; i++) if ((e = checkReasonCode(p.type, codes[i]))) return e;
      f = measureProperties(p.properties, p.type);
      if (typeof f !== 'number') return f;
      n = 2 + f + codes.length;
      break;
    }
    case PacketType.UNSUBSCRIBE: {
      if ((e = checkPacketId(p.packetId, 'UNSUBSCRIBE'))) return e;
      const filters = p.topicFilters;
      if (filters.length === 0) return fail('NO_SUBSCRIPTIONS', 'UNSUBSCRIBE without topic filters [MQTT-3.10.3-2]');
      f = measureProperties(p.properties, PacketType.UNSUBSCRIBE);
      if (typeof f !== 'number') return f;
      n = 2 + f;
      for (let i = 0; i < filters.length; i++) {
        f = stringField(topicFilterLength(filters[i]), 'UNSUBSCRIBE topic filter');
        if (typeof f !== 'number') return f;
        n += f;
      }
      break;
    }
    case PacketType.PINGREQ:
    case PacketType.PINGRESP:
      return 0;
    case PacketType.DISCONNECT:
    case PacketType.AUTH:
      f = optionalReason(p.type, p.reasonCode ?? 0, p.properties);
      if (typeof f !== 'number') return f;
      n = f;
      break;
    default:
      return fail('UNKNOWN_PACKET_TYPE', `packet type ${String((p as { type: unknown }).type)}`);
  }
  if (n > MAX_REMAINING_LENGTH) return fail('PACKET_TOO_LARGE', `remaining length ${n} exceeds ${MAX_REMAINING_LENGTH}`);
  return n;
}

/** Reason code and properties where both may be left off (see optionalReason). */
function writeOptionalReason(code: number, props: Properties | undefined, b: Uint8Array, o: number, end: number): void {
  if (o === end) return; // Success without properties: nothing
  b[o] = code;
  if (o + 1 < end) writeProperties(props, b, o + 1);
}

function writeConnect(p: Packet & { type: typeof PacketType.CONNECT }, b: Uint8Array, o: number): void {
  b[o] = 0;
  b[o + 1] = 4;
  b[o + 2] = 0x4d; // "MQTT"
  b[o + 3] = 0x51;
  b[o + 4] = 0x54;
  b[o + 5] = 0x54;
  b[o + 6] = 5;
  const will = p.will;
  b[o + 7] =
    (p.username !== undefined ? 0x80 : 0) |
    (p.password !== undefined ? 0x40 : 0) |
    (will ? (will.retain ? 0x20 : 0) | (will.qos << 3) | 0x04 : 0) |
    (p.cleanSession ? 0x02 : 0);
  o = writeId(p.keepAlive, b, o + 8);
  o = writeProperties(p.properties, b, o);
  o = writeString(p.clientId, b, o);
  if (will) {
    o = writeProperties(will.properties, b, o);
    o = writeString(will.topic, b, o);
    o = writeBinary(will.payload, b, o);
  }
  if (p.username !== undefined) o = writeString(p.username, b, o);
  if (p.password !== undefined) writeBinary(p.password, b, o);
}

function subscriptionOptions(s: Subscription): number {
  return s.qos | (s.noLocal ? 0x04 : 0) | (s.retainAsPublished ? 0x08 : 0) | ((s.retainHandling ?? 0) << 4);
}

/** Writes the body of a measured 5.0 packet at b[o]; `end` is where it ends (offset + total). */
export function writeBody5(p: Packet, b: Uint8Array, o: number, end: number): void {
  switch (p.type) {
    case PacketType.PUBLISH:
      o = writeString(p.topic, b, o);
      if (p.qos !== 0) o = writeId(p.packetId as number, b, o);
      o = writeProperties(p.properties, b, o);
      b.set(p.payload, o);
      return;
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      o = writeId(p.packetId, b, o);
      writeOptionalReason(p.reasonCode ?? 0, p.properties, b, o, end);
      return;
    case PacketType.CONNECT:
      writeConnect(p, b, o);
      return;
    case PacketType.CONNACK:
      b[o] = p.sessionPresent ? 1 : 0;
      b[o + 1] = p.returnCode;
      writeProperties(p.properties, b, o + 2);
      return;
    case PacketType.SUBSCRIBE: {
      o = writeId(p.packetId, b, o);
      o = writeProperties(p.properties, b, o);
      const subs = p.subscriptions;
      for (let i = 0; i < subs.length; i++) {
        o = writeString(subs[i].topicFilter, b, o);
        b[o++] = subscriptionOptions(subs[i]);
      }
      return;
    }
    case PacketType.SUBACK:
    case PacketType.UNSUBACK: {
      o = writeId(p.packetId, b, o);
      o = writeProperties(p.properties, b, o);
      const codes = (p.type === PacketType.SUBACK ? p.granted : p.reasonCodes) as readonly number[];
      for (let i = 0; i < codes.length; i++) b[o++] = codes[i];
      return;
    }
    case PacketType.UNSUBSCRIBE: {
      o = writeId(p.packetId, b, o);
      o = writeProperties(p.properties, b, o);
      const filters = p.topicFilters;
      for (let i = 0; i < filters.length; i++) o = writeString(filters[i], b, o);
      return;
    }
    case PacketType.DISCONNECT:
    case PacketType.AUTH:
      writeOptionalReason(p.reasonCode ?? 0, p.properties, b, o, end);
      return;
    default:
      return; // PINGREQ, PINGRESP: no body
  }
}
