/**
 * MQTT 3.1.1 and 5.0 encoder: packet objects (./packets) to bytes, written into a caller-owned buffer.
 * The 5.0 packet bodies are measured and written in ./codec-v5; the version is an argument (default
 * 4, 3.1.1), except for CONNECT, which names its own (protocolVersion).
 *
 * API (stable; the session builds on it):
 *   encodedLength(packet, version = 4): number   (version: the connection's ProtocolVersion)
 *       Total bytes encode() will write (fixed header included), or -1 when the packet is invalid.
 *       Never throws. Use it to size or check the buffer.
 *   validatePacket(packet, version = 4): ProtocolError | undefined
 *       Why a packet cannot be encoded (named code + message), or undefined. Never throws.
 *   encode(packet, buffer, offset, version?): number   (version 4 when absent)
 *       Writes the packet at buffer[offset] and returns the number of bytes written. Validates
 *       first and throws EncodeError (with .code and .error: ProtocolError) for an invalid packet,
 *       RangeError when the buffer lacks room. A caller that must not see exceptions checks
 *       `encodedLength(p) >= 0` (and validatePacket for the reason) and sizes the buffer first;
 *       encode then cannot throw.
 *   withPayloadLength(buffer, at, payloadLength): number
 *       For a PUBLISH encoded at buffer[at] with an empty payload whose real payload is sent
 *       after it, unchanged and uncopied: rewrites the fixed header for that payload's length
 *       and returns where the header now starts (up to HEADER_GROWTH bytes before `at`).
 *
 * Validation of outgoing packets (named ProtocolErrorCode):
 *   PUBLISH topic empty / with + or # / U+0000 / lone surrogate: EMPTY_TOPIC, WILDCARD_IN_TOPIC,
 *   NULL_CHARACTER, INVALID_UTF8; topic filters malformed: INVALID_TOPIC_FILTER; QoS not 0..2:
 *   INVALID_QOS; DUP on QoS 0: RESERVED_FLAGS; packet id 0: PACKET_ID_ZERO, other non 1..65535:
 *   INVALID_PACKET_ID; string or binary field over 65535 bytes: FIELD_TOO_LONG; remaining length
 *   over 268,435,455: PACKET_TOO_LARGE; SUBSCRIBE/UNSUBSCRIBE without filters: NO_SUBSCRIPTIONS;
 *   SUBACK code not 0/1/2/0x80: INVALID_SUBACK_CODE; password without username:
 *   INVALID_CONNECT_FLAGS; CONNACK code not 0..5: CONNACK_INVALID_RETURN_CODE; keepAlive not
 *   0..65535, SUBACK without codes, empty client id without cleanSession: INVALID_FIELD;
 *   unknown type: UNKNOWN_PACKET_TYPE.
 *
 * Allocation per packet: none by the codec itself on the general path; the PUBLISH fast path
 * (ASCII topic, validated with native indexOf) writes the topic with TextEncoder.encodeInto,
 * which costs a subarray view and encodeInto's {read, written} result, because that is ~60x
 * fewer XS computrons and ~1.1-2x faster in V8 than a charCodeAt loop (bench/mqtt-codec.ts
 * measures both). Other strings are measured by hand (../text/utf8: no native way to measure without
 * allocating), then written by encodeInto (or by hand without a TextEncoder); each length prefix
 * is back-filled after writing. Payloads are copied with Uint8Array.prototype.set.
 * On an error encode() may already have written into buffer[offset..].
 * 3.1.1 packets must not carry 5.0 fields (properties, reason codes other than 0): validatePacket
 * and encodedLength say PROPERTY_NOT_ALLOWED / INVALID_REASON_CODE; encode()'s PUBLISH hot path
 * does not look (see encodeAsciiPublish). AUTH is UNKNOWN_PACKET_TYPE in 3.1.1.
 */
import { protocolError } from './errors';
import { encodeAliasedPublish, measure5, writeBody5 } from './codec-v5';
import { packetTypeName, PacketType, type Packet, type ProtocolError, type ProtocolErrorCode, type ProtocolVersion, type PublishPacket } from './packets';
import { MAX_STRING_BYTES, topicFilterLength, topicNameLength } from './topic';
import { utf8Length } from '../text/utf8';
import { binaryField, checkPacketId, isQos, stringField, writeBinary, writeId, writeString, writeVarint } from './wire';
import { nativeUtf8Encoder } from '../text/utf8';

/**
 * Native UTF-8 writer for the PUBLISH fast path (see ./wire for why). Module-local rather than
 * imported: XS reads a module's own constants for fewer computrons than an imported binding.
 */
const encoder = nativeUtf8Encoder();

/** Largest remaining length a 4-byte varint can express (MQTT 3.1.1 section 2.2.3); also ./wire's. */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** Bytes the remaining-length varint takes for `n` (1..4). */
export function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

export class EncodeError extends Error {
  readonly code: ProtocolErrorCode;
  readonly error: ProtocolError;
  constructor(error: ProtocolError) {
    super(`${error.code}: ${error.message}`);
    this.name = 'EncodeError';
    this.code = error.code;
    this.error = error;
  }
}

/**
 * The version a packet is measured and written for: a CONNECT names its own (protocolVersion),
 * every other packet uses the connection's.
 */
function versionOf(packet: Packet, version: ProtocolVersion): ProtocolVersion {
  return packet.type === PacketType.CONNECT ? (packet.protocolVersion ?? 4) : version;
}

/** Validates `p` for `version` and returns its remaining length, or the error. */
function measureFor(p: Packet, version: ProtocolVersion): number | ProtocolError {
  return versionOf(p, version) === 5 ? measure5(p) : measure(p);
}

export function encodedLength(packet: Packet, version: ProtocolVersion = 4): number {
  const remaining = measureFor(packet, version);
  return typeof remaining === 'number' ? 1 + varintSize(remaining) + remaining : -1;
}

export function validatePacket(packet: Packet, version: ProtocolVersion = 4): ProtocolError | undefined {
  const remaining = measureFor(packet, version);
  return typeof remaining === 'number' ? undefined : remaining;
}

export function encode(packet: Packet, buffer: Uint8Array, offset: number, version?: ProtocolVersion): number {
  if (packet.type === PacketType.PUBLISH) {
    // Two functions rather than one with a version argument: the 3.1.1 hot path stays as cheap
    // as it was (every extra operation is a computron per message in XS).
    const written = version !== 5 ? encodeAsciiPublish(packet, buffer, offset) : packet.properties === undefined ? encodeAliasedPublish(packet, 0, buffer, offset) : 0;
    if (written > 0) return written;
  }
  if (version === undefined) version = 4;
  const remaining = measureFor(packet, version);
  if (typeof remaining !== 'number') throw new EncodeError(remaining);
  const total = 1 + varintSize(remaining) + remaining;
  if (!(offset >= 0) || offset + total > buffer.length) {
    throw new RangeError(`MQTT encode needs ${total} bytes at offset ${offset}; the buffer holds ${buffer.length}`);
  }
  let o = offset;
  buffer[o++] = firstByte(packet);
  let n = remaining;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n > 0) b |= 0x80;
    buffer[o++] = b;
  } while (n > 0);
  if (versionOf(packet, version) === 5) writeBody5(packet, buffer, o, offset + total);
  else writeBody(packet, buffer, o);
  return total;
}

/**
 * The hot path: a valid 3.1.1 PUBLISH with an ASCII topic, validated while it is written (one
 * pass over the topic instead of measure + write). Returns 0 when the packet is not that
 * (non-ASCII or invalid topic, bad id, no room), and encode() takes the general path, which
 * reports errors. May have written into buffer[offset..] before bailing out. It does not look for
 * 5.0 fields (properties) on a 3.1.1 PUBLISH: that lookup alone cost 1% of the XS computrons;
 * encodedLength/validatePacket report them (PROPERTY_NOT_ALLOWED), and the session measures
 * every PUBLISH before it encodes it.
 */
function encodeAsciiPublish(p: PublishPacket, b: Uint8Array, offset: number): number {
  const topic = p.topic;
  const topicLength = topic.length;
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
  if (topicLength === 0 || topicLength > MAX_STRING_BYTES) return 0;
  const remaining = 2 + topicLength + idBytes + payload.length;
  if (remaining > MAX_REMAINING_LENGTH) return 0;
  const total = 1 + varintSize(remaining) + remaining;
  if (!(offset >= 0) || offset + total > b.length) return 0;
  let o = offset + total - remaining;
  b[o++] = topicLength >> 8;
  b[o++] = topicLength & 0xff;
  if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0 || topic.indexOf('\u0000') >= 0) return 0;
  if (encoder) {
    // Every unit read and one byte written per unit means all ASCII (so no lone surrogate either).
    const r = encoder.encodeInto(topic, b.subarray(o, o + topicLength));
    if (r.read !== topicLength || r.written !== topicLength) return 0;
    o += topicLength;
  } else {
    for (let i = 0; i < topicLength; i++) {
      const c = topic.charCodeAt(i);
      if (c >= 0x80) return 0;
      b[o++] = c;
    }
  }
  if (idBytes !== 0) {
    const id = p.packetId as number;
    b[o++] = id >> 8;
    b[o++] = id & 0xff;
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

/**
 * Bytes a 3.1.1 PUBLISH takes (fixed header included) whose topic is `topicBytes` bytes of an
 * already validated topic name (./topic-cache), or -1 when the remaining length exceeds
 * 268,435,455 (MQTT 3.1.1 section 2.2.3). Pure arithmetic: no string is read.
 */
export function publishLength(topicBytes: number, qos: number, payloadLength: number): number {
  const remaining = 2 + topicBytes + (qos === 0 ? 0 : 2) + payloadLength;
  // varintSize inlined: this runs once per message.
  return remaining < 128 ? 2 + remaining : remaining < 16_384 ? 3 + remaining : remaining < 2_097_152 ? 4 + remaining : remaining <= MAX_REMAINING_LENGTH ? 5 + remaining : -1;
}

/** Where encodePublishAround expects the topic: room before it for the longest fixed header and the length prefix. */
export const PUBLISH_TOPIC_AT = 7;

/**
 * Writes a 3.1.1 PUBLISH (MQTT 3.1.1 section 3.3) around its topic name, whose validated UTF-8
 * bytes (./topic-cache) the caller has already put at b[topicAt..topicAt + topicLength):
 * p.topic is not read. The fixed header and the topic's length prefix go just before it, the
 * packet id and payload after it. Returns the offset where the packet starts; it is
 * publishLength(topicLength, p.qos, p.payload.length) bytes long. A client that sends to the
 * same topic again leaves the topic in place, so the hot path copies only the payload and
 * allocates nothing. topicAt must be at least PUBLISH_TOPIC_AT. Throws RangeError when `b`
 * lacks room or the packet id is not 1..65535 at QoS 1/2.
 */
export function encodePublishAround(p: PublishPacket, topicLength: number, b: Uint8Array, topicAt: number): number {
  return writePublishAround(b, topicAt, topicLength, 0x30 | (p.dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0), p.packetId as number, p.payload);
}

/**
 * encodePublishAround from the PUBLISH's fields instead of a packet object (the session's hot
 * path: no object to fill per message). `first` is the fixed header's first byte, 0x30 | DUP << 3
 * | QoS << 1 | RETAIN (MQTT 3.1.1 section 3.3.1); `id` is read only when QoS is not 0. Same
 * result and errors as encodePublishAround.
 */
export function writePublishAround(b: Uint8Array, topicAt: number, topicLength: number, first: number, id: number, payload: Uint8Array): number {
  let o = topicAt + topicLength;
  if ((first & 6) !== 0) {
    if (!(id >= 1 && id <= 65535)) throw new RangeError(`PUBLISH packet id ${String(id)} is not in 1..65535`);
    b[o] = id >> 8;
    b[o + 1] = id & 0xff;
    o += 2;
  }
  const payloadLength = payload.length;
  const remaining = o - topicAt + 2 + payloadLength;
  if (o + payloadLength > b.length) throw new RangeError(`MQTT encode needs ${remaining + 5} bytes around offset ${topicAt}; the buffer holds ${b.length}`);
  b[topicAt - 2] = topicLength >> 8;
  b[topicAt - 1] = topicLength & 0xff;
  if (payloadLength !== 0) b.set(payload, o);
  if (remaining < 128) {
    // One length byte: the usual telemetry message, written without the varint loop.
    b[topicAt - 4] = first;
    b[topicAt - 3] = remaining;
    return topicAt - 4;
  }
  const start = topicAt - (remaining < 16_384 ? 5 : remaining < 2_097_152 ? 6 : 7);
  if (start < 0) throw new RangeError(`MQTT encode needs ${remaining + 5} bytes around offset ${topicAt}; the buffer holds ${b.length}`);
  o = start;
  b[o++] = first;
  let n = remaining;
  do {
    let v = n & 0x7f;
    n >>>= 7;
    if (n > 0) v |= 0x80;
    b[o++] = v;
  } while (n > 0);
  return start;
}

/** How far before a packet's start its fixed header may move when withPayloadLength lengthens it. */
export const HEADER_GROWTH = 3;

/**
 * For a PUBLISH whose payload goes out separately, after the packet's other bytes (the session
 * hands a large payload to the transport as it is instead of copying it into its buffer): the
 * packet was encoded at b[at..] with an empty payload; this rewrites its fixed header so that
 * the remaining length counts `payloadLength` more bytes (MQTT 3.1.1 section 2.2.3, 5.0 section
 * 2.1.4). The variable header stays where it is and the new fixed header ends just before it,
 * so it may start up to HEADER_GROWTH bytes before `at`. Returns where it starts. Throws
 * RangeError when the remaining length would exceed 268,435,455 or there is no room before `at`.
 */
export function withPayloadLength(b: Uint8Array, at: number, payloadLength: number): number {
  const first = b[at];
  let body = at + 1;
  let remaining = 0;
  let multiplier = 1;
  let v: number;
  do {
    v = b[body++];
    remaining += (v & 0x7f) * multiplier;
    multiplier *= 128;
  } while ((v & 0x80) !== 0 && multiplier <= 2_097_152);
  remaining += payloadLength;
  if (remaining > MAX_REMAINING_LENGTH) throw new RangeError(`MQTT remaining length ${remaining} exceeds ${MAX_REMAINING_LENGTH}`);
  const start = body - 1 - varintSize(remaining);
  if (start < 0) throw new RangeError(`MQTT fixed header needs ${body - start} bytes before offset ${body}`);
  b[start] = first;
  writeVarint(remaining, b, start + 1);
  return start;
}

function firstByte(p: Packet): number {
  switch (p.type) {
    case PacketType.PUBLISH:
      return 0x30 | (p.dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0);
    case PacketType.PUBREL:
    case PacketType.SUBSCRIBE:
    case PacketType.UNSUBSCRIBE:
      return (p.type << 4) | 2; // reserved flags 0010 [MQTT-3.6.1-1, 3.8.1-1, 3.10.1-1]
    default:
      return p.type << 4;
  }
}

function fail(code: ProtocolErrorCode, message: string): ProtocolError {
  return protocolError(code, message);
}

/** 3.1.1 packets carry no properties, reason codes or subscription options. */
function v5Only(p: Packet): ProtocolError | undefined {
  if (p.type === PacketType.AUTH) return undefined; // UNKNOWN_PACKET_TYPE below
  const q = p as { properties?: unknown; reasonCode?: unknown; reasonCodes?: unknown };
  if (q.properties !== undefined) return fail('PROPERTY_NOT_ALLOWED', `${packetTypeName(p.type)} properties need MQTT 5.0`);
  if ((q.reasonCode !== undefined && q.reasonCode !== 0) || q.reasonCodes !== undefined) {
    return fail('INVALID_REASON_CODE', `${packetTypeName(p.type)} reason codes need MQTT 5.0`);
  }
  return undefined;
}

/** Validates `p` and returns its remaining length, or the error. Allocates only on error. */
function measure(p: Packet): number | ProtocolError {
  let n = 0;
  let f: number | ProtocolError;
  let e: ProtocolError | undefined;
  if ((e = v5Only(p))) return e;
  switch (p.type) {
    case PacketType.PUBLISH: {
      f = stringField(topicNameLength(p.topic), 'PUBLISH topic name');
      if (typeof f !== 'number') return f;
      n = f + p.payload.length;
      if (p.qos !== 0) {
        if (p.qos !== 1 && p.qos !== 2) return fail('INVALID_QOS', `PUBLISH QoS ${String(p.qos)}`);
        if ((e = checkPacketId(p.packetId, 'PUBLISH'))) return e;
        n += 2;
      } else if (p.dup) {
        return fail('RESERVED_FLAGS', 'DUP must be 0 on a QoS 0 PUBLISH [MQTT-3.3.1-2]');
      }
      break;
    }
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
    case PacketType.UNSUBACK:
      if ((e = checkPacketId(p.packetId, packetTypeName(p.type)))) return e;
      n = 2;
      break;
    case PacketType.CONNECT: {
      n = 10; // protocol name "MQTT" (6), level (1), flags (1), keepalive (2)
      if (!(p.keepAlive >= 0 && p.keepAlive <= 65535) || p.keepAlive !== Math.floor(p.keepAlive)) {
        return fail('INVALID_FIELD', `CONNECT keepAlive ${String(p.keepAlive)} is not in 0..65535`);
      }
      f = stringField(utf8Length(p.clientId, true), 'CONNECT client id');
      if (typeof f !== 'number') return f;
      if (f === 2 && !p.cleanSession) return fail('INVALID_FIELD', 'an empty client id requires cleanSession [MQTT-3.1.3-7]');
      n += f;
      if (p.will) {
        if (!isQos(p.will.qos)) return fail('INVALID_QOS', `will QoS ${String(p.will.qos)}`);
        f = stringField(topicNameLength(p.will.topic), 'will topic');
        if (typeof f !== 'number') return f;
        n += f;
        f = binaryField(p.will.payload, 'will payload');
        if (typeof f !== 'number') return f;
        n += f;
      }
      if (p.username !== undefined) {
        f = stringField(utf8Length(p.username, true), 'CONNECT user name');
        if (typeof f !== 'number') return f;
        n += f;
      }
      if (p.password !== undefined) {
        if (p.username === undefined) return fail('INVALID_CONNECT_FLAGS', 'password without user name [MQTT-3.1.2-22]');
        f = binaryField(p.password, 'CONNECT password');
        if (typeof f !== 'number') return f;
        n += f;
      }
      break;
    }
    case PacketType.CONNACK:
      if (!(p.returnCode >= 0 && p.returnCode <= 5) || p.returnCode !== Math.floor(p.returnCode)) {
        return fail('CONNACK_INVALID_RETURN_CODE', `CONNACK return code ${String(p.returnCode)} is reserved`);
      }
      n = 2;
      break;
    case PacketType.SUBSCRIBE: {
      if ((e = checkPacketId(p.packetId, 'SUBSCRIBE'))) return e;
      const subs = p.subscriptions;
      if (subs.length === 0) return fail('NO_SUBSCRIPTIONS', 'SUBSCRIBE without topic filters [MQTT-3.8.3-3]');
      n = 2;
      for (let i = 0; i < subs.length; i++) {
        if (!isQos(subs[i].qos)) return fail('INVALID_QOS', `SUBSCRIBE requested QoS ${String(subs[i].qos)}`);
        f = stringField(topicFilterLength(subs[i].topicFilter), 'SUBSCRIBE topic filter');
        if (typeof f !== 'number') return f;
        n += f + 1;
      }
      break;
    }
    case PacketType.SUBACK: {
      if ((e = checkPacketId(p.packetId, 'SUBACK'))) return e;
      const codes = p.granted;
      if (codes.length === 0) return fail('INVALID_FIELD', 'SUBACK without return codes');
      for (let i = 0; i < codes.length; i++) {
        const c = codes[i];
        if (c !== 0 && c !== 1 && c !== 2 && c !== 0x80) return fail('INVALID_SUBACK_CODE', `SUBACK return code ${String(c)}`);
      }
      n = 2 + codes.length;
      break;
    }
    case PacketType.UNSUBSCRIBE: {
      if ((e = checkPacketId(p.packetId, 'UNSUBSCRIBE'))) return e;
      const filters = p.topicFilters;
      if (filters.length === 0) return fail('NO_SUBSCRIPTIONS', 'UNSUBSCRIBE without topic filters [MQTT-3.10.3-2]');
      n = 2;
      for (let i = 0; i < filters.length; i++) {
        f = stringField(topicFilterLength(filters[i]), 'UNSUBSCRIBE topic filter');
        if (typeof f !== 'number') return f;
        n += f;
      }
      break;
    }
    case PacketType.PINGREQ:
    case PacketType.PINGRESP:
    case PacketType.DISCONNECT:
      return 0;
    default:
      return fail('UNKNOWN_PACKET_TYPE', `packet type ${String((p as { type: unknown }).type)} (AUTH needs MQTT 5.0)`);
  }
  if (n > MAX_REMAINING_LENGTH) return fail('PACKET_TOO_LARGE', `remaining length ${n} exceeds ${MAX_REMAINING_LENGTH}`);
  return n;
}

/** Writes the variable header and payload of a measured (valid) packet. */
function writeBody(p: Packet, b: Uint8Array, o: number): void {
  switch (p.type) {
    case PacketType.PUBLISH:
      o = writeString(p.topic, b, o);
      if (p.qos !== 0) o = writeId(p.packetId as number, b, o);
      b.set(p.payload, o);
      return;
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
    case PacketType.UNSUBACK:
      writeId(p.packetId, b, o);
      return;
    case PacketType.CONNECT: {
      // Protocol name "MQTT", level 4.
      b[o] = 0;
      b[o + 1] = 4;
      b[o + 2] = 0x4d;
      b[o + 3] = 0x51;
      b[o + 4] = 0x54;
      b[o + 5] = 0x54;
      b[o + 6] = 4;
      const will = p.will;
      b[o + 7] =
        (p.username !== undefined ? 0x80 : 0) |
        (p.password !== undefined ? 0x40 : 0) |
        (will ? (will.retain ? 0x20 : 0) | (will.qos << 3) | 0x04 : 0) |
        (p.cleanSession ? 0x02 : 0);
      o = writeId(p.keepAlive, b, o + 8);
      o = writeString(p.clientId, b, o);
      if (will) {
        o = writeString(will.topic, b, o);
        o = writeBinary(will.payload, b, o);
      }
      if (p.username !== undefined) o = writeString(p.username, b, o);
      if (p.password !== undefined) writeBinary(p.password, b, o);
      return;
    }
    case PacketType.CONNACK:
      b[o] = p.sessionPresent ? 1 : 0;
      b[o + 1] = p.returnCode;
      return;
    case PacketType.SUBSCRIBE: {
      o = writeId(p.packetId, b, o);
      const subs = p.subscriptions;
      for (let i = 0; i < subs.length; i++) {
        o = writeString(subs[i].topicFilter, b, o);
        b[o++] = subs[i].qos;
      }
      return;
    }
    case PacketType.SUBACK: {
      o = writeId(p.packetId, b, o);
      const codes = p.granted;
      for (let i = 0; i < codes.length; i++) b[o++] = codes[i];
      return;
    }
    case PacketType.UNSUBSCRIBE: {
      o = writeId(p.packetId, b, o);
      const filters = p.topicFilters;
      for (let i = 0; i < filters.length; i++) o = writeString(filters[i], b, o);
      return;
    }
    default:
      return; // PINGREQ, PINGRESP, DISCONNECT: no body
  }
}
