/**
 * Streaming MQTT 3.1.1 and 5.0 decoder: bytes in any chunking -> packet objects (./packets).
 *
 * The version is the decoder's protocolVersion (option, or assign it: a client sets it when it
 * sends CONNECT); decoding a CONNECT sets it to the CONNECT's level, as a broker learns it there.
 * 5.0 bodies (properties, reason codes, subscription options, AUTH) are decoded by ./decoder-v5,
 * which lists its checks; the fixed header and the chunking are the same for both versions.
 *
 * API (stable; the session builds on it):
 *   const decoder = new Decoder({ onPacket(packet) {...}, onError(error) {...}, maxPacketSize?, copyPayload? });
 *   (onPacket/onError may also be assigned afterwards: decoder.onPacket = ...)
 *   decoder.push(chunk)   feed bytes as they arrive: one byte at a time, many packets per chunk,
 *                         splits anywhere (inside the remaining-length varint too). Decoded packets
 *                         go to onPacket in order. Never throws for bad input: a protocol error
 *                         goes to onError once and the decoder is dead (push ignores input) until
 *                         reset(). `decoder.error` holds that error.
 *   decoder.reset()       forget buffered bytes and any error (e.g. on a new connection). May be
 *                         called from inside a callback: the rest of the current chunk is dropped.
 *   decoder.buffered      bytes of an incomplete packet currently held.
 *
 * Both directions are decoded (client- and broker-received packets alike); whether a packet type
 * is acceptable in the current state is the session's concern (UNEXPECTED_PACKET).
 *
 * maxPacketSize bounds the whole packet (fixed header + remaining length), default
 * DEFAULT_MAX_PACKET_SIZE = 256 KiB + 1 KiB for topic and headers (IoT Hub's D2C limit). A packet
 * over it fails with PACKET_TOO_LARGE as soon as its length is known, before any body is buffered.
 *
 * Payloads (PUBLISH payload, will payload, password) are copied by default, so they stay valid
 * whatever the caller does with its chunks. With copyPayload: false nothing is copied: a payload
 * is a view into the pushed chunk when the packet lay whole inside it, or into a buffer allocated
 * for that one split packet; it stays valid as long as the caller does not overwrite chunks it
 * has pushed (true for Node socket data and XS socket reads, which are fresh buffers). This is
 * what mqtt-packet does, and saves a typed-array allocation per PUBLISH.
 * A packet that lies whole inside one chunk is decoded in place; only packets split across
 * chunks are assembled (copy mode: in one reused buffer, grown up to maxPacketSize).
 *
 * Strings are decoded by the engine's TextDecoder in fatal mode (strict per WHATWG: overlongs,
 * surrogates and > U+10FFFF throw) with ignoreBOM (MQTT keeps a leading U+FEFF), then checked for
 * U+0000 and wildcards with indexOf: native code in XS and V8, far cheaper than a byte loop in
 * XS. Without a TextDecoder the hand-written strict decoder in ../text/utf8 is used; both are
 * tested to agree.
 *
 * Callbacks must not call push(). If a callback throws, the exception propagates out of push()
 * and the decoder is dead until reset(), because the rest of that chunk was not consumed.
 *
 * Validation, each a named ProtocolErrorCode:
 *   packet type 0 or 15: UNKNOWN_PACKET_TYPE. Fixed-header flags (PUBREL/SUBSCRIBE/UNSUBSCRIBE
 *   0010, others 0000 except PUBLISH; DUP on QoS 0): RESERVED_FLAGS. PUBLISH QoS 3: INVALID_QOS.
 *   Remaining-length varint over 4 bytes: REMAINING_LENGTH_TOO_LONG (a non-minimal encoding
 *   such as 80 00 is accepted: 3.1.1, unlike 5.0, does not forbid it). Over maxPacketSize:
 *   PACKET_TOO_LARGE. Fixed-size packets of the wrong length (CONNACK, PUBACK, PUBREC, PUBREL,
 *   PUBCOMP, UNSUBACK: 2; PINGREQ, PINGRESP, DISCONNECT: 0), fields running past the end or
 *   trailing bytes, SUBACK without codes: BAD_LENGTH. Packet id 0: PACKET_ID_ZERO.
 *   Strings: malformed UTF-8 (overlong, surrogate, > U+10FFFF, truncated): INVALID_UTF8;
 *   U+0000: NULL_CHARACTER. PUBLISH/will topic with + or #: WILDCARD_IN_TOPIC; empty:
 *   EMPTY_TOPIC. Topic filters (empty, # not last, wildcard not a whole level):
 *   INVALID_TOPIC_FILTER. SUBSCRIBE/UNSUBSCRIBE without filters: NO_SUBSCRIPTIONS; requested QoS
 *   byte with reserved bits: RESERVED_FLAGS, QoS 3: INVALID_QOS. SUBACK code not 0/1/2/0x80:
 *   INVALID_SUBACK_CODE. CONNECT protocol name not "MQTT": BAD_PROTOCOL; level not 4:
 *   BAD_PROTOCOL_LEVEL (a broker answers CONNACK 1); reserved flag bit: RESERVED_FLAGS; will
 *   QoS/retain without will flag, password without user name: INVALID_CONNECT_FLAGS; will QoS 3:
 *   INVALID_QOS. CONNACK acknowledge flags bits 7..1: RESERVED_FLAGS; return code > 5:
 *   CONNACK_INVALID_RETURN_CODE. Return codes 1..5 are delivered as packets: map them with
 *   connackError (./errors).
 */
import { decodeBody5, nonMinimalLength, readPropertiesInto } from './decoder-v5';
import { protocolError, scanError, SCAN_EMPTY_TOPIC, SCAN_INVALID_UTF8, SCAN_NULL_CHARACTER, SCAN_WILDCARD_IN_TOPIC } from './errors';
import { packetTypeName, PacketType, type ConnackCode, type ConnectPacket, type Packet, type ProtocolError, type PublishPacket, type ProtocolErrorCode, type ProtocolVersion, type QoS, type SubackCode, type Subscription } from './packets';
import { WILL_PROPERTIES, type PropertyRead } from './properties';
import { topicFilterLength } from './topic';
import { decodeUtf8, nativeStrictUtf8Decoder, type NativeUtf8Decoder } from '../text/utf8';

/**
 * How much of a skipped oversized PUBLISH is kept to read its topic and packet id (an IoT Hub C2D
 * topic with its property bag fits easily); the payload part of it is dropped too.
 */
export const OVERSIZE_HEAD_BYTES = 2048;

export const DEFAULT_MAX_PACKET_SIZE = 256 * 1024 + 1024;

export interface DecoderOptions {
  /** Also assignable later as decoder.onPacket. */
  onPacket?: (packet: Packet) => void;
  /** Also assignable later as decoder.onError. */
  onError?: (error: ProtocolError) => void;
  /** Largest whole packet accepted, in bytes. Default DEFAULT_MAX_PACKET_SIZE. */
  maxPacketSize?: number;
  /** Copy payloads out of the input (default true); false hands out views valid during onPacket only. */
  copyPayload?: boolean;
  /**
   * A PUBLISH over maxPacketSize is not a protocol error but skipped: its payload bytes are read
   * and dropped as they arrive (never buffered), and it is delivered once whole, with an empty
   * payload and `oversize` set to its size, so the session can acknowledge it (a broker would
   * otherwise redeliver it at every connect) and the application can report it. Its topic and
   * packet id must lie within maxPacketSize and OVERSIZE_HEAD_BYTES. Default false (PACKET_TOO_LARGE).
   */
  skipOversizedPublish?: boolean;
  /** 4 (MQTT 3.1.1, the default) or 5 (MQTT 5.0). */
  protocolVersion?: ProtocolVersion;
}

function ignore(): void {}

const IDLE = 0; // expecting a fixed header's first byte
const LENGTH = 1; // reading the remaining-length varint
const BODY = 2; // assembling a body split across chunks
const SKIP = 3; // dropping the rest of an oversized PUBLISH

/** Bit i set: fixed-header flags for packet type i must be 0000 (PUBLISH and the 0010 types excluded). */
const ZERO_FLAG_TYPES = (1 << 1) | (1 << 2) | (1 << 4) | (1 << 5) | (1 << 7) | (1 << 9) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 15);
const FLAG_0010_TYPES = (1 << 6) | (1 << 8) | (1 << 10);
/** Remaining length by packet type where it is fixed (CONNACK, acks: 2; PINGs, DISCONNECT: 0), else -1. */
const FIXED_REMAINING_LENGTH: readonly number[] = Object.freeze([-1, -1, 2, -1, 2, 2, 2, 2, -1, -1, -1, 2, 0, 0, 0, -1]);
/** The same for 5.0, where only PINGREQ and PINGRESP have a fixed length (reason codes and properties vary). */
const FIXED_REMAINING_LENGTH_V5: readonly number[] = Object.freeze([-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, -1, -1]);

export class Decoder {
  /** The error that stopped the decoder, until reset(). */
  error: ProtocolError | undefined = undefined;

  /** Receives each decoded packet, in stream order. */
  onPacket: (packet: Packet) => void;
  /** Receives the first protocol error; the decoder is dead afterwards until reset(). */
  onError: (error: ProtocolError) => void;
  /** Largest whole packet accepted, bytes; may be changed between packets (5.0 Maximum Packet Size). */
  maxPacketSize: number;
  private readonly copyPayload: boolean;
  private readonly skipOversizedPublish: boolean;

  private dead = false;
  /** Bumped by reset(), so push() notices a reset made from a callback. */
  private epoch = 0;
  private state = IDLE;
  private first = 0;
  private remaining = 0;
  private multiplier = 1;
  /** Bytes the current packet's remaining length took. @internal */
  lengthBytes = 0;
  private body: Uint8Array = new Uint8Array(0);
  private filled = 0;
  /** Bytes of an oversized PUBLISH still to drop after its head, and the packet held meanwhile. */
  private skipBytes = 0;
  private oversize = 0;
  private held: Packet | undefined = undefined;
  /** Read position inside decodeBody, shared by the field readers (and ./decoder-v5). @internal */
  cursor = 0;
  /** Strict native UTF-8 decoding, when the engine has it (XS and Node do). @internal */
  readonly text: NativeUtf8Decoder | undefined = nativeStrictUtf8Decoder();
  /** Scratch for reading a property section. @internal */
  readonly propertyRead: PropertyRead = { pos: 0, error: undefined };
  // Added with 5.0, last: XS finds an instance's properties by walking them in order, so the
  // 3.1.1 hot path's fields keep their places.
  /** True for 5.0: read in the hot path instead of comparing protocolVersion. */
  private v5 = false;
  /** FIXED_REMAINING_LENGTH or its 5.0 form, chosen with the version. */
  private fixedLengths: readonly number[] = FIXED_REMAINING_LENGTH;

  constructor(options: DecoderOptions = {}) {
    this.onPacket = options.onPacket ?? ignore;
    this.onError = options.onError ?? ignore;
    this.maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    this.copyPayload = options.copyPayload ?? true;
    this.skipOversizedPublish = options.skipOversizedPublish ?? false;
    this.protocolVersion = options.protocolVersion ?? 4;
  }

  /** 4 or 5; set by the owner before a connection, and by a decoded CONNECT. */
  get protocolVersion(): ProtocolVersion {
    return this.v5 ? 5 : 4;
  }
  set protocolVersion(version: ProtocolVersion) {
    this.v5 = version === 5;
    this.fixedLengths = this.v5 ? FIXED_REMAINING_LENGTH_V5 : FIXED_REMAINING_LENGTH;
  }

  /** True between packets: nothing buffered, nothing being skipped, not failed. */
  get atPacketStart(): boolean {
    return this.state === IDLE && !this.dead;
  }

  get buffered(): number {
    return this.state === IDLE || this.state === SKIP ? 0 : this.state === LENGTH ? 1 + this.lengthBytes : 1 + this.lengthBytes + this.filled;
  }

  reset(): void {
    this.epoch++;
    this.error = undefined;
    this.dead = false;
    this.state = IDLE;
    this.filled = 0;
    this.skipBytes = 0;
    this.held = undefined;
    // Drop a large assembly buffer; keep a small one for reuse.
    if (this.body.length > 4096) this.body = new Uint8Array(0);
  }

  push(chunk: Uint8Array): void {
    if (this.dead) return;
    const epoch = this.epoch;
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      // The fixed header is parsed in locals (cheaper in XS) and saved only when the chunk ends inside it.
      let remaining: number;
      let multiplier: number;
      let lengthBytes: number;
      const state = this.state;
      if (state === SKIP) {
        const take = Math.min(this.skipBytes, len - pos);
        this.skipBytes -= take;
        pos += take;
        if (this.skipBytes > 0) return;
        this.state = IDLE;
        const packet = this.held as Packet;
        this.held = undefined;
        if (!this.emit(packet, epoch)) return;
        continue;
      }
      if (state === IDLE) {
        const first = chunk[pos++];
        if (!this.checkFirstByte(first)) return;
        this.first = first;
        remaining = 0;
        multiplier = 1;
        lengthBytes = 0;
      } else if (state === LENGTH) {
        remaining = this.remaining;
        multiplier = this.multiplier;
        lengthBytes = this.lengthBytes;
      } else {
        remaining = -1;
        multiplier = 0;
        lengthBytes = 0;
      }
      if (state !== BODY) {
        let complete = false;
        while (pos < len) {
          const b = chunk[pos++];
          remaining += (b & 0x7f) * multiplier;
          multiplier *= 128;
          lengthBytes++;
          if (b < 0x80) {
            complete = true;
            break;
          }
          if (lengthBytes === 4) {
            this.fail('REMAINING_LENGTH_TOO_LONG', 'remaining length takes more than 4 bytes');
            return;
          }
        }
        this.remaining = remaining;
        this.lengthBytes = lengthBytes;
        if (!complete) {
          this.multiplier = multiplier;
          this.state = LENGTH;
          return;
        }
        if (!this.checkLength(remaining)) return;
        remaining = this.remaining; // less than announced when the tail of an oversized PUBLISH is skipped
        if (len - pos >= remaining) {
          // The whole body is in this chunk: decode it in place.
          if (state !== IDLE) this.state = IDLE;
          const end = pos + remaining;
          const packet = this.decodeBody(this.first, chunk, pos, end);
          pos = end;
          if (packet === undefined || !this.deliver(packet, epoch)) return;
          continue;
        }
        if (!this.copyPayload) {
          this.body = new Uint8Array(remaining); // payload views point into it: never reuse
        } else if (this.body.length < remaining) {
          this.body = new Uint8Array(Math.min(this.maxPacketSize, Math.max(remaining, this.body.length * 2, 256)));
        }
        this.body.set(pos === 0 ? chunk : chunk.subarray(pos), 0);
        this.filled = len - pos;
        this.state = BODY;
        return;
      }
      // BODY: continue assembling.
      const take = Math.min(this.remaining - this.filled, len - pos);
      this.body.set(pos === 0 && take === len ? chunk : chunk.subarray(pos, pos + take), this.filled);
      this.filled += take;
      pos += take;
      if (this.filled < this.remaining) return;
      this.state = IDLE;
      this.filled = 0;
      const packet = this.decodeBody(this.first, this.body, 0, this.remaining);
      if (packet === undefined || !this.deliver(packet, epoch)) return;
    }
  }

  /** A decoded packet: emitted now, or held while the rest of an oversized PUBLISH is dropped. */
  private deliver(packet: Packet, epoch: number): boolean {
    if (this.skipBytes === 0) return this.emit(packet, epoch);
    const publish = packet as PublishPacket;
    publish.payload = new Uint8Array(0);
    publish.oversize = this.oversize;
    this.held = packet;
    this.state = SKIP;
    return true;
  }

  /** Delivers a packet; false when push() must stop (a reset or an error during the callback). */
  private emit(packet: Packet, epoch: number): boolean {
    try {
      this.onPacket(packet);
    } catch (error) {
      if (this.epoch === epoch) this.dead = true;
      throw error;
    }
    return this.epoch === epoch && !this.dead;
  }

  /** @internal */
  fail(code: ProtocolErrorCode, message: string): void {
    const error = protocolError(code, message);
    this.error = error;
    this.dead = true;
    this.state = IDLE;
    this.onError(error);
  }

  /** @internal */
  failScan(result: number, what: string): undefined {
    const error = scanError(result, what);
    this.fail(error.code, error.message);
    return undefined;
  }

  private checkFirstByte(first: number): boolean {
    const type = first >> 4;
    const flags = first & 0x0f;
    if ((type === 0 || type === 15) && (type === 0 || !this.v5)) {
      this.fail('UNKNOWN_PACKET_TYPE', `reserved packet type ${type}`);
      return false;
    }
    if (type === PacketType.PUBLISH) {
      const qos = (flags >> 1) & 3;
      if (qos === 3) {
        this.fail('INVALID_QOS', 'PUBLISH with QoS 3 [MQTT-3.3.1-4]');
        return false;
      }
      if (qos === 0 && flags & 8) {
        this.fail('RESERVED_FLAGS', 'DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2]');
        return false;
      }
      return true;
    }
    const bit = 1 << type;
    if ((bit & FLAG_0010_TYPES && flags !== 2) || (bit & ZERO_FLAG_TYPES && flags !== 0)) {
      this.fail('RESERVED_FLAGS', `${packetTypeName(type)} fixed header flags ${flags.toString(2).padStart(4, '0')}`);
      return false;
    }
    return true;
  }

  private checkLength(remaining: number): boolean {
    const size = 1 + this.lengthBytes + remaining;
    // Not in 5.0: there the client announces its Maximum Packet Size and a server must not exceed
    // it [MQTT-3.1.2-24], so an oversized packet is a protocol error (and a cut property section
    // could not be read anyway).
    if (size > this.maxPacketSize && this.skipOversizedPublish && !this.v5 && this.first >> 4 === PacketType.PUBLISH) {
      // Keep its start (topic and packet id), at most OVERSIZE_HEAD_BYTES: a device that cannot
      // take the packet has no room to spare for its payload either. Drop the rest as it comes.
      this.remaining = Math.min(this.maxPacketSize - 1 - this.lengthBytes, OVERSIZE_HEAD_BYTES);
      this.skipBytes = remaining - this.remaining;
      this.oversize = size;
      return true;
    }
    if (size > this.maxPacketSize) {
      this.fail('PACKET_TOO_LARGE', `packet of ${1 + this.lengthBytes + remaining} bytes exceeds the maximum of ${this.maxPacketSize}`);
      return false;
    }
    const type = this.first >> 4;
    const expected = this.fixedLengths[type];
    if (expected >= 0 && remaining !== expected) {
      this.fail('BAD_LENGTH', `${packetTypeName(type)} remaining length ${remaining}; must be ${expected}`);
      return false;
    }
    return true;
  }

  /** @internal */
  payload(buf: Uint8Array, start: number, end: number): Uint8Array {
    if (!this.copyPayload) return buf.subarray(start, end);
    // Not buf.slice(): on a Node Buffer that is a view, not a copy.
    const out = new Uint8Array(end - start);
    out.set(buf.subarray(start, end));
    return out;
  }

  /** @internal */
  short(what: string): undefined {
    this.fail('BAD_LENGTH', `${what} runs past the end of the packet`);
    return undefined;
  }

  /** Reads a 2-byte length prefix at cursor; returns the field's end, or -1 (error reported). */
  /** @internal */
  field(buf: Uint8Array, end: number, what: string): number {
    const p = this.cursor;
    if (end - p < 2) return this.short(what) ?? -1;
    const fieldEnd = p + 2 + ((buf[p] << 8) | buf[p + 1]);
    if (fieldEnd > end) return this.short(what) ?? -1;
    return fieldEnd;
  }

  /** @internal */
  readString(buf: Uint8Array, end: number, what: string): string | undefined {
    const fieldEnd = this.field(buf, end, what);
    if (fieldEnd < 0) return undefined;
    const s = this.decodeString(buf, this.cursor + 2, fieldEnd);
    if (typeof s !== 'string') return this.failScan(s, what);
    this.cursor = fieldEnd;
    return s;
  }

  /** Strict UTF-8 without U+0000: the string, or a SCAN_* code. */
  private decodeString(buf: Uint8Array, start: number, end: number): string | number {
    const text = this.text;
    if (text === undefined) return decodeUtf8(buf, start, end, true);
    if (start === end) return '';
    let s: string;
    try {
      s = text.decode(buf.subarray(start, end));
    } catch {
      return SCAN_INVALID_UTF8;
    }
    return s.indexOf('\u0000') >= 0 ? SCAN_NULL_CHARACTER : s;
  }

  /** A topic name: strict UTF-8, no U+0000, not empty, no wildcards. */
  /** @internal */
  readTopicName(buf: Uint8Array, end: number, what: string): string | undefined {
    const fieldEnd = this.field(buf, end, what);
    if (fieldEnd < 0) return undefined;
    const start = this.cursor + 2;
    if (start === fieldEnd) return this.failScan(SCAN_EMPTY_TOPIC, what);
    const s = this.decodeString(buf, start, fieldEnd);
    if (typeof s !== 'string') return this.failScan(s, what);
    if (s.indexOf('+') >= 0 || s.indexOf('#') >= 0) return this.failScan(SCAN_WILDCARD_IN_TOPIC, what);
    this.cursor = fieldEnd;
    return s;
  }

  /** @internal */
  readTopicFilter(buf: Uint8Array, end: number, what: string): string | undefined {
    const s = this.readString(buf, end, what);
    if (s === undefined) return undefined;
    const check = topicFilterLength(s);
    if (check < 0) return this.failScan(check, what);
    return s;
  }

  /** @internal */
  readId(buf: Uint8Array, end: number, what: string): number {
    const p = this.cursor;
    if (end - p < 2) return this.short(`${what} packet id`) ?? -1;
    const id = (buf[p] << 8) | buf[p + 1];
    if (id === 0) {
      this.fail('PACKET_ID_ZERO', `${what} packet id is 0`);
      return -1;
    }
    this.cursor = p + 2;
    return id;
  }

  /** Decodes the body buf[start..end) of a packet whose fixed header passed the checks. */
  private decodeBody(first: number, buf: Uint8Array, start: number, end: number): Packet | undefined {
    this.cursor = start;
    const type = first >> 4;
    if (this.v5 && type !== PacketType.CONNECT) return decodeBody5(this, first, buf, start, end, this.lengthBytes);
    switch (type) {
      case PacketType.PUBLISH: {
        const topic = this.readTopicName(buf, end, 'PUBLISH topic name');
        if (topic === undefined) return undefined;
        const qos = ((first >> 1) & 3) as QoS;
        const dup = (first & 8) !== 0;
        const retain = (first & 1) !== 0;
        if (qos === 0) {
          return { type: PacketType.PUBLISH, topic, payload: this.payload(buf, this.cursor, end), qos, retain, dup };
        }
        const packetId = this.readId(buf, end, 'PUBLISH');
        if (packetId < 0) return undefined;
        return { type: PacketType.PUBLISH, topic, payload: this.payload(buf, this.cursor, end), qos, retain, dup, packetId };
      }
      case PacketType.PUBACK:
      case PacketType.PUBREC:
      case PacketType.PUBREL:
      case PacketType.PUBCOMP:
      case PacketType.UNSUBACK: {
        const packetId = this.readId(buf, end, packetTypeName(type));
        if (packetId < 0) return undefined;
        return { type, packetId } as Packet;
      }
      case PacketType.PINGREQ:
      case PacketType.PINGRESP:
      case PacketType.DISCONNECT:
        return { type } as Packet;
      case PacketType.CONNACK: {
        const flags = buf[start];
        const returnCode = buf[start + 1];
        if (flags & 0xfe) {
          this.fail('RESERVED_FLAGS', `CONNACK acknowledge flags 0x${flags.toString(16)}`);
          return undefined;
        }
        if (returnCode > 5) {
          this.fail('CONNACK_INVALID_RETURN_CODE', `CONNACK return code ${returnCode} is reserved`);
          return undefined;
        }
        return { type: PacketType.CONNACK, sessionPresent: flags === 1, returnCode: returnCode as ConnackCode };
      }
      case PacketType.SUBSCRIBE: {
        const packetId = this.readId(buf, end, 'SUBSCRIBE');
        if (packetId < 0) return undefined;
        const subscriptions: Subscription[] = [];
        while (this.cursor < end) {
          const topicFilter = this.readTopicFilter(buf, end, 'SUBSCRIBE topic filter');
          if (topicFilter === undefined) return undefined;
          if (this.cursor >= end) return this.short('SUBSCRIBE requested QoS');
          const q = buf[this.cursor++];
          if (q & 0xfc) {
            this.fail('RESERVED_FLAGS', `SUBSCRIBE requested QoS byte 0x${q.toString(16)} has reserved bits set [MQTT-3.8.3-4]`);
            return undefined;
          }
          if (q === 3) {
            this.fail('INVALID_QOS', 'SUBSCRIBE requested QoS 3 [MQTT-3.8.3-4]');
            return undefined;
          }
          subscriptions.push({ topicFilter, qos: q as QoS });
        }
        if (subscriptions.length === 0) {
          this.fail('NO_SUBSCRIPTIONS', 'SUBSCRIBE without topic filters [MQTT-3.8.3-3]');
          return undefined;
        }
        return { type: PacketType.SUBSCRIBE, packetId, subscriptions };
      }
      case PacketType.SUBACK: {
        const packetId = this.readId(buf, end, 'SUBACK');
        if (packetId < 0) return undefined;
        if (this.cursor >= end) return this.short('SUBACK return codes');
        const granted: SubackCode[] = [];
        for (let i = this.cursor; i < end; i++) {
          const c = buf[i];
          if (c > 2 && c !== 0x80) {
            this.fail('INVALID_SUBACK_CODE', `SUBACK return code 0x${c.toString(16)}`);
            return undefined;
          }
          granted.push(c as SubackCode);
        }
        return { type: PacketType.SUBACK, packetId, granted };
      }
      case PacketType.UNSUBSCRIBE: {
        const packetId = this.readId(buf, end, 'UNSUBSCRIBE');
        if (packetId < 0) return undefined;
        const topicFilters: string[] = [];
        while (this.cursor < end) {
          const filter = this.readTopicFilter(buf, end, 'UNSUBSCRIBE topic filter');
          if (filter === undefined) return undefined;
          topicFilters.push(filter);
        }
        if (topicFilters.length === 0) {
          this.fail('NO_SUBSCRIPTIONS', 'UNSUBSCRIBE without topic filters [MQTT-3.10.3-2]');
          return undefined;
        }
        return { type: PacketType.UNSUBSCRIBE, packetId, topicFilters };
      }
      case PacketType.CONNECT:
        return this.decodeConnect(buf, start, end);
      default:
        return undefined; // unreachable: checkFirstByte rejected types 0 and 15
    }
  }

  private decodeConnect(buf: Uint8Array, start: number, end: number): Packet | undefined {
    // Protocol name "MQTT" (00 04 'M' 'Q' 'T' 'T'), level, flags, keepalive: 10 bytes.
    const nameEnd = this.field(buf, end, 'CONNECT protocol name');
    if (nameEnd < 0) return undefined;
    if (
      nameEnd !== start + 6 ||
      buf[start + 2] !== 0x4d ||
      buf[start + 3] !== 0x51 ||
      buf[start + 4] !== 0x54 ||
      buf[start + 5] !== 0x54
    ) {
      const name = decodeUtf8(buf, start + 2, nameEnd, true);
      this.fail('BAD_PROTOCOL', `CONNECT protocol name ${typeof name === 'string' ? JSON.stringify(name) : '(not UTF-8)'}; must be "MQTT"`);
      return undefined;
    }
    if (end - start < 10) return this.short('CONNECT variable header');
    const level = buf[start + 6];
    if (level !== 4 && level !== 5) {
      this.fail('BAD_PROTOCOL_LEVEL', `CONNECT protocol level ${level}; only 4 (MQTT 3.1.1) and 5 (MQTT 5.0) are supported`);
      return undefined;
    }
    const v5 = level === 5;
    this.protocolVersion = level;
    if (v5 && nonMinimalLength(this, end - start, this.lengthBytes)) return undefined;
    const flags = buf[start + 7];
    if (flags & 1) {
      this.fail('RESERVED_FLAGS', 'CONNECT reserved flag bit 0 is set [MQTT-3.1.2-3]');
      return undefined;
    }
    const hasWill = (flags & 0x04) !== 0;
    const willQos = (flags >> 3) & 3;
    const willRetain = (flags & 0x20) !== 0;
    const hasPassword = (flags & 0x40) !== 0;
    const hasUsername = (flags & 0x80) !== 0;
    if (!hasWill && (willQos !== 0 || willRetain)) {
      this.fail('INVALID_CONNECT_FLAGS', 'CONNECT will QoS or retain set without the will flag [MQTT-3.1.2-13, 3.1.2-15]');
      return undefined;
    }
    if (willQos === 3) {
      this.fail('INVALID_QOS', 'CONNECT will QoS 3 [MQTT-3.1.2-14]');
      return undefined;
    }
    if (hasPassword && !hasUsername && !v5) {
      this.fail('INVALID_CONNECT_FLAGS', 'CONNECT password flag without user name flag [MQTT-3.1.2-22]');
      return undefined;
    }
    const keepAlive = (buf[start + 8] << 8) | buf[start + 9];
    this.cursor = start + 10;
    const properties = v5 ? readPropertiesInto(this, buf, end, PacketType.CONNECT) : undefined;
    if (properties === null) return undefined;
    const clientId = this.readString(buf, end, 'CONNECT client id');
    if (clientId === undefined) return undefined;
    const packet: ConnectPacket = { type: PacketType.CONNECT, clientId, cleanSession: (flags & 0x02) !== 0, keepAlive };
    if (v5) packet.protocolVersion = 5;
    if (properties) packet.properties = properties;
    if (hasWill && !this.decodeWill(packet, buf, end, willQos as QoS, willRetain)) return undefined;
    if (hasUsername) {
      const username = this.readString(buf, end, 'CONNECT user name');
      if (username === undefined) return undefined;
      packet.username = username;
    }
    if (hasPassword) {
      const passwordEnd = this.field(buf, end, 'CONNECT password');
      if (passwordEnd < 0) return undefined;
      packet.password = this.payload(buf, this.cursor + 2, passwordEnd);
      this.cursor = passwordEnd;
    }
    if (this.cursor !== end) {
      this.fail('BAD_LENGTH', `CONNECT has ${end - this.cursor} bytes after its last field`);
      return undefined;
    }
    return packet;
  }

  /** The will of a CONNECT at cursor (5.0: will properties first); false on error (reported). */
  private decodeWill(packet: ConnectPacket, buf: Uint8Array, end: number, qos: QoS, retain: boolean): boolean {
    const properties = packet.protocolVersion === 5 ? readPropertiesInto(this, buf, end, WILL_PROPERTIES) : undefined;
    if (properties === null) return false;
    const topic = this.readTopicName(buf, end, 'CONNECT will topic');
    if (topic === undefined) return false;
    const payloadEnd = this.field(buf, end, 'CONNECT will message');
    if (payloadEnd < 0) return false;
    packet.will = { topic, payload: this.payload(buf, this.cursor + 2, payloadEnd), qos, retain };
    if (properties) packet.will.properties = properties;
    this.cursor = payloadEnd;
    return true;
  }
}
