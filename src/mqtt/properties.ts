/**
 * MQTT 5.0 properties (OASIS MQTT 5.0 section 2.2.2): the Properties object, and measuring,
 * writing and reading a property section (a Variable Byte Integer length, then identifier/value
 * pairs) with strict validation.
 *
 *   measureProperties(props, packetType): number | ProtocolError
 *       Bytes of the whole section (length prefix included; 1 for none), or why it cannot be sent.
 *   writeProperties(props, buffer, offset): number        the offset after the section; props measured
 *   readProperties(buf, start, end, packetType, text, r):  Properties | undefined (none), or
 *       undefined with r.error set; r.pos is the offset after the section.
 *
 * packetType selects which properties are allowed (table 2.2.2.2); WILL_PROPERTIES (0) stands
 * for the will properties of a CONNECT (3.1.3.2). Errors, each a named ProtocolErrorCode:
 * property not defined: UNKNOWN_PROPERTY; given twice (all but User Property, and Subscription
 * Identifier on PUBLISH): DUPLICATE_PROPERTY; not carried by the packet type:
 * PROPERTY_NOT_ALLOWED; value out of range (a 0/1 byte that is 2, Receive Maximum, Maximum Packet
 * Size or Subscription Identifier 0, Response Topic with a wildcard): INVALID_PROPERTY; Topic
 * Alias 0: TOPIC_ALIAS_INVALID; a section that runs past its length or the packet, or a non-minimal Variable
 * Byte Integer [MQTT-1.5.5-1]: MALFORMED_PROPERTY; strings as for every MQTT string:
 * INVALID_UTF8, NULL_CHARACTER; a string or binary value over 65535 bytes (encoding):
 * FIELD_TOO_LONG.
 *
 * Properties are written in the order of the object's keys (a decoded object keeps the wire's
 * order); User Properties in their array order, which MQTT requires be preserved
 * [MQTT-3.3.2-18]. A key that names no MQTT 5.0 property is UNKNOWN_PROPERTY. Binary values are
 * copied when read.
 */
import { protocolError, scanError } from './errors';
import type { ProtocolError } from './packets';
import { MAX_STRING_BYTES, topicNameLength } from './topic';
import { decodeUtf8, nativeUtf8Encoder, utf8Length, writeUtf8, type NativeUtf8Decoder } from '../text/utf8';

/*
 * The writers below are this module's own rather than ./wire's: they run several times per 5.0
 * packet, and a call through an imported binding costs more than a module-local one (under tsx
 * each is a getter call; bench/mqtt-codec.ts).
 */
const encoder = nativeUtf8Encoder();

function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeVarint(n: number, b: Uint8Array, o: number): number {
  do {
    let v = n & 0x7f;
    n >>>= 7;
    if (n > 0) v |= 0x80;
    b[o++] = v;
  } while (n > 0);
  return o;
}

/** A measured string with its 2-byte length, back-filled. */
function writeString(s: string, b: Uint8Array, o: number): number {
  const end = encoder ? o + 2 + encoder.encodeInto(s, b.subarray(o + 2)).written : writeUtf8(s, b, o + 2);
  const length = end - o - 2;
  b[o] = length >> 8;
  b[o + 1] = length & 0xff;
  return end;
}

/** A User Property: name and value, both UTF-8 strings (5.0 3.1.2.11.8). */
export type UserProperty = [name: string, value: string];

/** MQTT 5.0 properties by their specification names (2.2.2.2); 0/1 bytes are booleans. */
export interface Properties {
  /** 0x01 PUBLISH, will: true = the payload is UTF-8 text. */
  payloadFormatIndicator?: boolean;
  /** 0x02 PUBLISH, will: seconds the message stays deliverable. */
  messageExpiryInterval?: number;
  /** 0x03 PUBLISH, will: MIME type of the payload. */
  contentType?: string;
  /** 0x08 PUBLISH, will: topic the reply goes to (request/response). */
  responseTopic?: string;
  /** 0x09 PUBLISH, will: matches a reply to its request. */
  correlationData?: Uint8Array;
  /** 0x0B SUBSCRIBE (one), PUBLISH (one per matching subscription): 1..268,435,455. */
  subscriptionIdentifier?: number | number[];
  /** 0x11 CONNECT, CONNACK, DISCONNECT: seconds the session outlives the connection; 0xFFFFFFFF never expires. */
  sessionExpiryInterval?: number;
  /** 0x12 CONNACK: the client id the server chose for an empty one. */
  assignedClientIdentifier?: string;
  /** 0x13 CONNACK: keep alive (s) the client must use instead of its own. */
  serverKeepAlive?: number;
  /** 0x15 CONNECT, CONNACK, AUTH: enhanced authentication method. */
  authenticationMethod?: string;
  /** 0x16 CONNECT, CONNACK, AUTH */
  authenticationData?: Uint8Array;
  /** 0x17 CONNECT */
  requestProblemInformation?: boolean;
  /** 0x18 will: seconds the server waits before publishing the will. */
  willDelayInterval?: number;
  /** 0x19 CONNECT */
  requestResponseInformation?: boolean;
  /** 0x1A CONNACK */
  responseInformation?: string;
  /** 0x1C CONNACK, DISCONNECT: another server to use. */
  serverReference?: string;
  /** 0x1F acknowledgements, DISCONNECT, AUTH: human-readable diagnostics. */
  reasonString?: string;
  /** 0x21 CONNECT, CONNACK: QoS 1/2 publications the sender accepts unacknowledged, 1..65535. */
  receiveMaximum?: number;
  /** 0x22 CONNECT, CONNACK: highest topic alias the sender accepts (0: none). */
  topicAliasMaximum?: number;
  /** 0x23 PUBLISH: 1..the receiver's Topic Alias Maximum. */
  topicAlias?: number;
  /** 0x24 CONNACK: 0 or 1 (absent: 2). */
  maximumQoS?: number;
  /** 0x25 CONNACK */
  retainAvailable?: boolean;
  /** 0x26 every packet with properties but PINGs: name/value pairs, order kept, names may repeat. */
  userProperties?: UserProperty[];
  /** 0x27 CONNECT, CONNACK: largest packet (bytes) the sender accepts. */
  maximumPacketSize?: number;
  /** 0x28 CONNACK */
  wildcardSubscriptionAvailable?: boolean;
  /** 0x29 CONNACK */
  subscriptionIdentifiersAvailable?: boolean;
  /** 0x2A CONNACK */
  sharedSubscriptionAvailable?: boolean;
}

/** packetType value that selects the will properties of a CONNECT. */
export const WILL_PROPERTIES = 0;

const FLAG = 0; // byte, 0 or 1, as a boolean
const BYTE01 = 1; // byte, 0 or 1, as a number (Maximum QoS)
const U16 = 2;
const U32 = 3;
const VARINT = 4;
const STRING = 5;
const TOPIC = 6; // a string that must be a topic name (Response Topic)
const BINARY = 7;
const PAIR = 8;

// Allowed-in bits: 1 << packet type; bit 0 is the will.
const W = 1 << 0;
const C = 1 << 1;
const CA = 1 << 2;
const P = 1 << 3;
const ACKS = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7);
const S = 1 << 8;
const SA = 1 << 9;
const U = 1 << 10;
const UA = 1 << 11;
const D = 1 << 14;
const AU = 1 << 15;

interface Definition {
  readonly id: number;
  readonly name: keyof Properties;
  readonly kind: number;
  readonly allowed: number;
  /** 0 is not a valid value. */
  readonly nonZero: boolean;
}

const def = (id: number, name: keyof Properties, kind: number, allowed: number, nonZero = false): Definition =>
  Object.freeze({ id, name, kind, allowed, nonZero });

/** In identifier order: the order properties are written in. */
const DEFINITIONS: readonly Definition[] = Object.freeze([
  def(0x01, 'payloadFormatIndicator', FLAG, P | W),
  def(0x02, 'messageExpiryInterval', U32, P | W),
  def(0x03, 'contentType', STRING, P | W),
  def(0x08, 'responseTopic', TOPIC, P | W),
  def(0x09, 'correlationData', BINARY, P | W),
  def(0x0b, 'subscriptionIdentifier', VARINT, P | S, true),
  def(0x11, 'sessionExpiryInterval', U32, C | CA | D),
  def(0x12, 'assignedClientIdentifier', STRING, CA),
  def(0x13, 'serverKeepAlive', U16, CA),
  def(0x15, 'authenticationMethod', STRING, C | CA | AU),
  def(0x16, 'authenticationData', BINARY, C | CA | AU),
  def(0x17, 'requestProblemInformation', FLAG, C),
  def(0x18, 'willDelayInterval', U32, W),
  def(0x19, 'requestResponseInformation', FLAG, C),
  def(0x1a, 'responseInformation', STRING, CA),
  def(0x1c, 'serverReference', STRING, CA | D),
  def(0x1f, 'reasonString', STRING, CA | ACKS | SA | UA | D | AU),
  def(0x21, 'receiveMaximum', U16, C | CA, true),
  def(0x22, 'topicAliasMaximum', U16, C | CA),
  def(0x23, 'topicAlias', U16, P, true),
  def(0x24, 'maximumQoS', BYTE01, CA),
  def(0x25, 'retainAvailable', FLAG, CA),
  def(0x26, 'userProperties', PAIR, W | C | CA | P | ACKS | S | SA | U | UA | D | AU),
  def(0x27, 'maximumPacketSize', U32, C | CA, true),
  def(0x28, 'wildcardSubscriptionAvailable', FLAG, CA),
  def(0x29, 'subscriptionIdentifiersAvailable', FLAG, CA),
  def(0x2a, 'sharedSubscriptionAvailable', FLAG, CA),
]);

/**
 * Definition by property name, on a null-prototype object so inherited names ('toString') are
 * not mistaken for properties.
 */
const BY_NAME: Readonly<Record<string, Definition | undefined>> = Object.freeze(
  (() => {
    const table: Record<string, Definition | undefined> = Object.create(null) as Record<string, Definition | undefined>;
    for (const d of DEFINITIONS) table[d.name] = d;
    return table;
  })(),
);

/** Definition by identifier (sparse). */
const BY_ID: readonly (Definition | undefined)[] = Object.freeze(
  (() => {
    const table: (Definition | undefined)[] = [];
    for (let i = 0; i <= 0x2a; i++) table.push(undefined);
    for (const d of DEFINITIONS) table[d.id] = d;
    return table;
  })(),
);

const MAX_VARINT = 268_435_455;
const TOPIC_ALIAS = 0x23;

const where = (type: number): string => (type === WILL_PROPERTIES ? 'will properties' : `packet type ${type}`);

function isInteger(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && v >= min && v <= max && Math.floor(v) === v;
}

function stringBytes(s: unknown, d: Definition): number | ProtocolError {
  if (typeof s !== 'string') return protocolError('INVALID_PROPERTY', `${d.name} must be a string`);
  const length = d.kind === TOPIC ? topicNameLength(s) : utf8Length(s, true);
  if (length < 0) return scanError(length, d.name);
  if (length > MAX_STRING_BYTES) return protocolError('FIELD_TOO_LONG', `${d.name} is ${length} bytes; at most ${MAX_STRING_BYTES}`);
  return 2 + length;
}

function outOfRange(d: Definition, v: unknown): ProtocolError {
  let shown: string;
  try {
    shown = JSON.stringify(v) ?? String(v);
  } catch {
    shown = typeof v;
  }
  return protocolError('INVALID_PROPERTY', `${d.name} ${shown} is out of range`);
}

/** Bytes of one property (identifier included), or the error. No closures: this runs per message. */
function measureValue(d: Definition, v: unknown, type: number): number | ProtocolError {
  switch (d.kind) {
    case FLAG:
      return typeof v === 'boolean' ? 2 : outOfRange(d, v);
    case BYTE01:
      return v === 0 || v === 1 ? 2 : outOfRange(d, v);
    case U16:
      if (isInteger(v, d.nonZero ? 1 : 0, 65535)) return 3;
      return d.id === TOPIC_ALIAS && isInteger(v, 0, 0) ? protocolError('TOPIC_ALIAS_INVALID', 'Topic Alias 0 is not permitted [MQTT-3.3.2-8]') : outOfRange(d, v);
    case U32:
      return isInteger(v, d.nonZero ? 1 : 0, 4_294_967_295) ? 5 : outOfRange(d, v);
    case VARINT: {
      if (!Array.isArray(v)) return isInteger(v, 1, MAX_VARINT) ? 1 + varintSize(v) : outOfRange(d, v);
      if (type !== 3 || v.length === 0) return outOfRange(d, v); // several only on PUBLISH
      let n = 0;
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (!isInteger(x, 1, MAX_VARINT)) return outOfRange(d, v);
        n += 1 + varintSize(x);
      }
      return n;
    }
    case STRING:
    case TOPIC: {
      const n = stringBytes(v, d);
      return typeof n === 'number' ? 1 + n : n;
    }
    case BINARY:
      if (!(v instanceof Uint8Array)) return outOfRange(d, v);
      if (v.length > MAX_STRING_BYTES) return protocolError('FIELD_TOO_LONG', `${d.name} is ${v.length} bytes; at most ${MAX_STRING_BYTES}`);
      return 3 + v.length;
    default: {
      if (!Array.isArray(v)) return outOfRange(d, v);
      let n = 0;
      for (let i = 0; i < v.length; i++) {
        const pair: unknown = v[i];
        if (!Array.isArray(pair) || pair.length !== 2) return outOfRange(d, v);
        const k = stringBytes(pair[0], d);
        if (typeof k !== 'number') return k;
        const value = stringBytes(pair[1], d);
        if (typeof value !== 'number') return value;
        n += 1 + k + value;
      }
      return n;
    }
  }
}

/** Bytes of the property section with its length prefix (1 when there are none), or the error. */
export function measureProperties(props: Properties | undefined, type: number): number | ProtocolError {
  if (props === undefined) return 1;
  const bit = 1 << type;
  let n = 0;
  // The object's own keys, not the 27 names: looking up absent names costs V8 a megamorphic
  // miss each (a microsecond per packet, bench/mqtt-codec.ts).
  for (const key in props) {
    const v = (props as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const d = BY_NAME[key];
    if (d === undefined) return protocolError('UNKNOWN_PROPERTY', `${key} is not an MQTT 5.0 property`);
    if ((d.allowed & bit) === 0) return protocolError('PROPERTY_NOT_ALLOWED', `${d.name} is not allowed in ${where(type)}`);
    const m = measureValue(d, v, type);
    if (typeof m !== 'number') return m;
    n += m;
  }
  if (n > MAX_VARINT) return protocolError('PACKET_TOO_LARGE', `properties of ${n} bytes`);
  return varintSize(n) + n;
}

function writeValue(d: Definition, v: unknown, b: Uint8Array, o: number): number {
  switch (d.kind) {
    case FLAG:
      b[o++] = d.id;
      b[o++] = v ? 1 : 0;
      return o;
    case BYTE01:
      b[o++] = d.id;
      b[o++] = v as number;
      return o;
    case U16:
      b[o++] = d.id;
      b[o++] = (v as number) >> 8;
      b[o++] = (v as number) & 0xff;
      return o;
    case U32: {
      const x = v as number;
      b[o++] = d.id;
      b[o++] = (x >>> 24) & 0xff;
      b[o++] = (x >>> 16) & 0xff;
      b[o++] = (x >>> 8) & 0xff;
      b[o++] = x & 0xff;
      return o;
    }
    case VARINT: {
      if (!Array.isArray(v)) return writeVarint(v as number, b, (b[o] = d.id, o + 1));
      for (let i = 0; i < v.length; i++) {
        b[o++] = d.id;
        o = writeVarint(v[i] as number, b, o);
      }
      return o;
    }
    case STRING:
    case TOPIC:
      b[o++] = d.id;
      return writeString(v as string, b, o);
    case BINARY: {
      const bytes = v as Uint8Array;
      b[o++] = d.id;
      b[o++] = bytes.length >> 8;
      b[o++] = bytes.length & 0xff;
      b.set(bytes, o);
      return o + bytes.length;
    }
    default: {
      const pairs = v as UserProperty[];
      for (let i = 0; i < pairs.length; i++) {
        b[o++] = d.id;
        o = writeString(pairs[i][0], b, o);
        o = writeString(pairs[i][1], b, o);
      }
      return o;
    }
  }
}

/**
 * Writes a measured property section at b[o] and returns the offset after it. The content is
 * written after a 1-byte length and moved up when its length needs a longer prefix (rare: over
 * 127 bytes of properties), so nothing is measured twice.
 */
export function writeProperties(props: Properties | undefined, b: Uint8Array, o: number): number {
  if (props === undefined) {
    b[o] = 0;
    return o + 1;
  }
  const start = o + 1;
  let end = start;
  for (const key in props) {
    const v = (props as Record<string, unknown>)[key];
    if (v !== undefined) end = writeValue(BY_NAME[key] as Definition, v, b, end);
  }
  const length = end - start;
  const prefix = varintSize(length);
  if (prefix > 1) b.copyWithin(start + prefix - 1, start, end);
  writeVarint(length, b, o);
  return end + prefix - 1;
}

/** Where readProperties left off, and its error. Reused by its owner. */
export interface PropertyRead {
  pos: number;
  error: ProtocolError | undefined;
}

/** Reads a Variable Byte Integer at r.pos (minimal, at most 4 bytes, before end); -1 and r.error on failure. */
export function readVarint(buf: Uint8Array, end: number, r: PropertyRead, what: string): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 4; i++) {
    if (r.pos >= end) break;
    const byte = buf[r.pos++];
    value += (byte & 0x7f) * multiplier;
    if (byte < 0x80) {
      if (byte === 0 && i > 0) break; // non-minimal [MQTT-1.5.5-1]
      return value;
    }
    multiplier *= 128;
  }
  r.error = protocolError('MALFORMED_PROPERTY', `${what} is not a well-formed Variable Byte Integer`);
  return -1;
}

/** Strict UTF-8 without U+0000 (native decoder when there is one): the string, or a SCAN_* code. */
export function decodeMqttString(text: NativeUtf8Decoder | undefined, buf: Uint8Array, start: number, end: number): string | number {
  if (text === undefined) return decodeUtf8(buf, start, end, true);
  if (start === end) return '';
  let s: string;
  try {
    s = text.decode(buf.subarray(start, end));
  } catch {
    return -1; // SCAN_INVALID_UTF8
  }
  return s.indexOf('\u0000') >= 0 ? -2 /* SCAN_NULL_CHARACTER */ : s;
}

function malformed(r: PropertyRead, d: Definition): undefined {
  r.error = protocolError('MALFORMED_PROPERTY', `${d.name} runs past the end of the properties`);
  return undefined;
}

function readString(buf: Uint8Array, end: number, r: PropertyRead, d: Definition, text: NativeUtf8Decoder | undefined): string | undefined {
  const p = r.pos;
  if (end - p < 2) return malformed(r, d);
  const fieldEnd = p + 2 + ((buf[p] << 8) | buf[p + 1]);
  if (fieldEnd > end) return malformed(r, d);
  const s = decodeMqttString(text, buf, p + 2, fieldEnd);
  if (typeof s !== 'string') {
    r.error = scanError(s, d.name);
    return undefined;
  }
  r.pos = fieldEnd;
  return s;
}

function invalid(r: PropertyRead, d: Definition, v: unknown): undefined {
  r.error = protocolError('INVALID_PROPERTY', `${d.name} ${String(v)} is out of range`);
  return undefined;
}

/** One property value at r.pos (after its identifier), or undefined with r.error set. No closures: this runs per message. */
function readValue(buf: Uint8Array, end: number, r: PropertyRead, d: Definition, text: NativeUtf8Decoder | undefined): unknown {
  const p = r.pos;
  switch (d.kind) {
    case FLAG:
    case BYTE01: {
      if (p >= end) return malformed(r, d);
      const v = buf[p];
      if (v > 1) return invalid(r, d, v);
      r.pos = p + 1;
      return d.kind === FLAG ? v === 1 : v;
    }
    case U16: {
      if (end - p < 2) return malformed(r, d);
      const v = (buf[p] << 8) | buf[p + 1];
      if (v === 0 && d.id === TOPIC_ALIAS) {
        r.error = protocolError('TOPIC_ALIAS_INVALID', 'Topic Alias 0 is not permitted [MQTT-3.3.2-8]');
        return undefined;
      }
      if (v === 0 && d.nonZero) return invalid(r, d, v);
      r.pos = p + 2;
      return v;
    }
    case U32: {
      if (end - p < 4) return malformed(r, d);
      const v = buf[p] * 0x1000000 + ((buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]);
      if (v === 0 && d.nonZero) return invalid(r, d, v);
      r.pos = p + 4;
      return v;
    }
    case VARINT: {
      const v = readVarint(buf, end, r, d.name);
      if (v < 0) return undefined;
      return v === 0 ? invalid(r, d, v) : v;
    }
    case STRING:
    case TOPIC: {
      const s = readString(buf, end, r, d, text);
      if (s === undefined) return undefined;
      if (d.kind === TOPIC && (s === '' || s.indexOf('+') >= 0 || s.indexOf('#') >= 0)) return invalid(r, d, JSON.stringify(s));
      return s;
    }
    case BINARY: {
      if (end - p < 2) return malformed(r, d);
      const fieldEnd = p + 2 + ((buf[p] << 8) | buf[p + 1]);
      if (fieldEnd > end) return malformed(r, d);
      const out = new Uint8Array(fieldEnd - p - 2);
      out.set(buf.subarray(p + 2, fieldEnd));
      r.pos = fieldEnd;
      return out;
    }
    default: {
      const name = readString(buf, end, r, d, text);
      if (name === undefined) return undefined;
      const value = readString(buf, end, r, d, text);
      if (value === undefined) return undefined;
      return [name, value];
    }
  }
}

/**
 * Reads the property section at buf[start] (its length prefix first), which must end by `end`.
 * Returns the properties, or undefined when there are none or on error (then r.error is set).
 * r.pos is left after the section.
 */
export function readProperties(buf: Uint8Array, start: number, end: number, type: number, text: NativeUtf8Decoder | undefined, r: PropertyRead): Properties | undefined {
  r.pos = start;
  r.error = undefined;
  const length = readVarint(buf, end, r, 'property length');
  if (length < 0) return undefined;
  if (length === 0) return undefined;
  const sectionEnd = r.pos + length;
  if (sectionEnd > end) {
    r.error = protocolError('BAD_LENGTH', `property length ${length} runs past the end of the packet`);
    return undefined;
  }
  const props: Record<string, unknown> = {};
  const bit = 1 << type;
  let seenLow = 0; // identifiers 0..31
  let seenHigh = 0; // identifiers 32..63
  while (r.pos < sectionEnd) {
    const id = buf[r.pos++];
    const d = BY_ID[id];
    if (d === undefined) {
      r.error = protocolError('UNKNOWN_PROPERTY', `property identifier 0x${id.toString(16)} is not defined`);
      return undefined;
    }
    if ((d.allowed & bit) === 0) {
      r.error = protocolError('PROPERTY_NOT_ALLOWED', `${d.name} (0x${id.toString(16)}) is not allowed in ${where(type)}`);
      return undefined;
    }
    const mask = 1 << (id & 31);
    const seen = (id < 32 ? seenLow : seenHigh) & mask;
    const repeatable = d.kind === PAIR || (d.kind === VARINT && type === 3);
    if (seen !== 0 && !repeatable) {
      r.error = protocolError('DUPLICATE_PROPERTY', `${d.name} (0x${id.toString(16)}) appears twice`);
      return undefined;
    }
    if (id < 32) seenLow |= mask;
    else seenHigh |= mask;
    const value = readValue(buf, sectionEnd, r, d, text);
    if (value === undefined) return undefined;
    if (d.kind === PAIR) {
      const list = props.userProperties as UserProperty[] | undefined;
      if (list === undefined) props.userProperties = [value];
      else list.push(value as UserProperty);
    } else if (seen !== 0) {
      // A second Subscription Identifier on a PUBLISH: the value becomes a list.
      const prev = props[d.name];
      if (Array.isArray(prev)) prev.push(value);
      else props[d.name] = [prev, value];
    } else {
      props[d.name] = value;
    }
  }
  return props as Properties;
}
