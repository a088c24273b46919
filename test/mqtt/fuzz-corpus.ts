/**
 * Deterministic MQTT fuzz corpus: valid packets (the hand-written vectors plus randomly built
 * ones) mutated in ways that hit the decoder's checks: bit flips, interesting bytes, inserted,
 * deleted and duplicated ranges, truncation, rewritten remaining lengths and first bytes,
 * concatenations, and plain random bytes. Platform-neutral (no Node APIs), so the same corpus
 * can run in XS; `fuzzPackets(1_000_000, seed)` feeds a soak run.
 *
 *   for (const bytes of fuzzPackets(count, seed)) ...        bytes: one input (may hold several
 *                                                             packets, or garbage)
 *   chunkings(bytes, rng)                                    a random split into chunks
 */
import { encode, encodedLength } from '../../src/mqtt/codec';
import { PacketType, type ConnackCode, type Packet, type Properties, type ProtocolVersion, type QoS, type SubackCode } from '../../src/mqtt/packets';
import { V5_VECTORS } from './codec-v5-vectors';
import { fromHex, VECTORS } from './codec-vectors';
import { mulberry32 } from '../fixtures/mulberry32';

export type Rng = () => number;

/** mulberry32: small, fast, good enough for fuzzing; returns [0, 1). */
export const rng32: (seed: number) => Rng = mulberry32;

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)];

const WORDS = ['devices', 'd1', 'thermo-01', 'messages', 'events', 'devicebound', '$iothub', 'twin', 'res', '200', '?$rid=1', 'caf\u00e9', '\u{1F321}', '', 'x'];
const FILTER_WORDS = [...WORDS, '+'];
const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x7f, 0x80, 0x81, 0xbf, 0xc0, 0xc1, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xfe, 0xff, 0x23, 0x2b, 0x2f, 0x24, 0x10, 0x20, 0x30, 0x32, 0x34, 0x36, 0x62, 0x82, 0xa2];

function topic(rng: Rng): string {
  const n = 1 + int(rng, 4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(pick(rng, WORDS));
  const t = parts.join('/');
  return t.length > 0 ? t : 'x';
}

function filter(rng: Rng): string {
  const n = 1 + int(rng, 4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(pick(rng, FILTER_WORDS));
  if (rng() < 0.3) parts.push('#');
  const f = parts.join('/');
  return f.length > 0 ? f : '#';
}

function bytes(rng: Rng, max: number): Uint8Array {
  const out = new Uint8Array(int(rng, max + 1));
  for (let i = 0; i < out.length; i++) out[i] = int(rng, 256);
  return out;
}

/** A random valid packet of any of the 14 types. */
export function randomPacket(rng: Rng): Packet {
  const id = 1 + int(rng, 65535);
  const qos = int(rng, 3) as QoS;
  switch (1 + int(rng, 14)) {
    case PacketType.CONNECT: {
      const p: Packet = { type: PacketType.CONNECT, clientId: pick(rng, ['d1', 'thermo-01', 'x']), cleanSession: rng() < 0.5, keepAlive: int(rng, 1200) };
      if (rng() < 0.5) p.will = { topic: topic(rng), payload: bytes(rng, 8), qos, retain: rng() < 0.5 };
      if (rng() < 0.5) {
        p.username = 'hub.azure-devices.net/d1/?api-version=2021-04-12';
        if (rng() < 0.7) p.password = bytes(rng, 40);
      }
      return p;
    }
    case PacketType.CONNACK:
      return { type: PacketType.CONNACK, sessionPresent: rng() < 0.5, returnCode: int(rng, 6) as ConnackCode };
    case PacketType.PUBLISH:
      return qos === 0
        ? { type: PacketType.PUBLISH, topic: topic(rng), payload: bytes(rng, 80), qos, retain: rng() < 0.5, dup: false }
        : { type: PacketType.PUBLISH, topic: topic(rng), payload: bytes(rng, 80), qos, retain: rng() < 0.5, dup: rng() < 0.5, packetId: id };
    case PacketType.SUBSCRIBE: {
      const subscriptions = [];
      for (let i = 1 + int(rng, 3); i > 0; i--) subscriptions.push({ topicFilter: filter(rng), qos: int(rng, 3) as QoS });
      return { type: PacketType.SUBSCRIBE, packetId: id, subscriptions };
    }
    case PacketType.SUBACK: {
      const granted: (0 | 1 | 2 | 0x80)[] = [];
      for (let i = 1 + int(rng, 4); i > 0; i--) granted.push(pick(rng, [0, 1, 2, 0x80] as const));
      return { type: PacketType.SUBACK, packetId: id, granted };
    }
    case PacketType.UNSUBSCRIBE: {
      const topicFilters = [];
      for (let i = 1 + int(rng, 3); i > 0; i--) topicFilters.push(filter(rng));
      return { type: PacketType.UNSUBSCRIBE, packetId: id, topicFilters };
    }
    case PacketType.PINGREQ:
      return { type: PacketType.PINGREQ };
    case PacketType.PINGRESP:
      return { type: PacketType.PINGRESP };
    case PacketType.DISCONNECT:
      return { type: PacketType.DISCONNECT };
    default:
      return { type: pick(rng, [PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP, PacketType.UNSUBACK]), packetId: id } as Packet;
  }
}

export function encodePacket(p: Packet, version: ProtocolVersion = 4): Uint8Array {
  const out = new Uint8Array(encodedLength(p, version));
  encode(p, out, 0, version);
  return out;
}

const PUB_CODES = [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
const REL_CODES = [0x00, 0x92];
const CONNACK_CODES = [0x00, 0x80, 0x85, 0x86, 0x87, 0x88, 0x95, 0x9c];
const SUBACK_CODES: readonly SubackCode[] = [0x00, 0x01, 0x02, 0x80, 0x87, 0x8f, 0x97, 0xa2];
const UNSUBACK_CODES = [0x00, 0x11, 0x80, 0x87];
const DISCONNECT_CODES = [0x00, 0x04, 0x80, 0x81, 0x82, 0x8b, 0x8e, 0x93, 0x94, 0x95, 0x9c];

function userProperties(rng: Rng): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 1 + int(rng, 2); i > 0; i--) out.push([pick(rng, WORDS), pick(rng, WORDS)]);
  return out;
}

/** Some of the properties a packet of `type` may carry (5.0 2.2.2.2), or undefined. */
function randomProperties(rng: Rng, type: number): Properties | undefined {
  if (rng() < 0.4) return undefined;
  const p: Properties = {};
  const maybe = (): boolean => rng() < 0.4;
  if (maybe()) p.userProperties = userProperties(rng);
  switch (type) {
    case PacketType.CONNECT:
      if (maybe()) p.sessionExpiryInterval = int(rng, 7200);
      if (maybe()) p.receiveMaximum = 1 + int(rng, 100);
      if (maybe()) p.topicAliasMaximum = int(rng, 20);
      if (maybe()) p.maximumPacketSize = 1 + int(rng, 1 << 20);
      if (maybe()) p.requestResponseInformation = rng() < 0.5;
      break;
    case PacketType.CONNACK:
      if (maybe()) p.assignedClientIdentifier = pick(rng, WORDS);
      if (maybe()) p.receiveMaximum = 1 + int(rng, 100);
      if (maybe()) p.topicAliasMaximum = int(rng, 20);
      if (maybe()) p.serverKeepAlive = int(rng, 1200);
      if (maybe()) p.maximumQoS = int(rng, 2);
      if (maybe()) p.reasonString = pick(rng, WORDS);
      break;
    case PacketType.PUBLISH:
      if (maybe()) p.payloadFormatIndicator = rng() < 0.5;
      if (maybe()) p.messageExpiryInterval = int(rng, 100000);
      if (maybe()) p.contentType = 'application/json';
      if (maybe()) p.responseTopic = topic(rng);
      if (maybe()) p.correlationData = bytes(rng, 8);
      if (maybe()) p.subscriptionIdentifier = rng() < 0.5 ? 1 + int(rng, 300) : [1 + int(rng, 300), 1 + int(rng, 20000)];
      if (maybe()) p.topicAlias = 1 + int(rng, 10);
      break;
    case PacketType.SUBSCRIBE:
      if (maybe()) p.subscriptionIdentifier = 1 + int(rng, 20000);
      break;
    case PacketType.UNSUBSCRIBE:
      break;
    case PacketType.DISCONNECT:
      if (maybe()) p.sessionExpiryInterval = int(rng, 7200);
      if (maybe()) p.serverReference = 'other.example';
      if (maybe()) p.reasonString = pick(rng, WORDS);
      break;
    case PacketType.AUTH:
      if (maybe()) p.authenticationMethod = 'SCRAM-SHA-256';
      if (maybe()) p.authenticationData = bytes(rng, 16);
      break;
    default: // acknowledgements
      if (maybe()) p.reasonString = pick(rng, WORDS);
  }
  return Object.keys(p).length > 0 ? p : undefined;
}

/** A random valid MQTT 5.0 packet of any of the 15 types. */
export function randomPacket5(rng: Rng): Packet {
  if (rng() < 1 / 15) {
    const auth: Packet = { type: PacketType.AUTH, reasonCode: pick(rng, [0x00, 0x18, 0x19]) };
    const props = randomProperties(rng, PacketType.AUTH);
    if (props) auth.properties = props;
    return auth;
  }
  const p = randomPacket(rng);
  const props = randomProperties(rng, p.type);
  switch (p.type) {
    case PacketType.CONNECT:
      p.protocolVersion = 5;
      if (p.will && rng() < 0.5) p.will.properties = { willDelayInterval: int(rng, 60), contentType: 'text/plain' };
      break;
    case PacketType.CONNACK:
      p.returnCode = pick(rng, CONNACK_CODES);
      if (p.returnCode !== 0) p.sessionPresent = false;
      break;
    case PacketType.PUBLISH:
      if (props?.topicAlias !== undefined && rng() < 0.5) p.topic = '';
      break;
    case PacketType.PUBACK:
    case PacketType.PUBREC:
      p.reasonCode = pick(rng, PUB_CODES);
      break;
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      p.reasonCode = pick(rng, REL_CODES);
      break;
    case PacketType.SUBSCRIBE:
      for (const s of p.subscriptions) {
        s.noLocal = rng() < 0.5;
        s.retainAsPublished = rng() < 0.5;
        s.retainHandling = int(rng, 3) as 0 | 1 | 2;
      }
      break;
    case PacketType.SUBACK:
      p.granted = p.granted.map(() => pick(rng, SUBACK_CODES));
      break;
    case PacketType.UNSUBACK:
      p.reasonCodes = [pick(rng, UNSUBACK_CODES)];
      break;
    case PacketType.DISCONNECT:
      p.reasonCode = pick(rng, DISCONNECT_CODES);
      break;
    default:
      break; // PINGREQ, PINGRESP
  }
  if (props && p.type !== PacketType.PINGREQ && p.type !== PacketType.PINGRESP) (p as { properties?: Properties }).properties = props;
  return p;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Applies one random mutation. */
export function mutate(input: Uint8Array, rng: Rng, other: () => Uint8Array): Uint8Array {
  const b = input.slice();
  const n = b.length;
  switch (int(rng, 11)) {
    case 0: // flip a bit
      if (n > 0) b[int(rng, n)] ^= 1 << int(rng, 8);
      return b;
    case 1: // an interesting byte somewhere
      if (n > 0) b[int(rng, n)] = pick(rng, INTERESTING);
      return b;
    case 2: {
      // insert bytes
      const at = int(rng, n + 1);
      const extra = rng() < 0.5 ? bytes(rng, 4) : Uint8Array.of(pick(rng, INTERESTING));
      return concat(concat(b.subarray(0, at), extra), b.subarray(at));
    }
    case 3: {
      // delete a range
      const at = int(rng, n + 1);
      return concat(b.subarray(0, at), b.subarray(Math.min(n, at + 1 + int(rng, 4))));
    }
    case 4: // truncate
      return b.subarray(0, int(rng, n + 1));
    case 5: {
      // rewrite the remaining-length varint (up to 5 bytes, sometimes huge)
      let i = 1;
      while (i < n && i < 5 && b[i] & 0x80) i++;
      const varint: number[] = [];
      const len = 1 + int(rng, 5);
      for (let k = 0; k < len; k++) varint.push(k < len - 1 ? 0x80 | int(rng, 128) : rng() < 0.2 ? 0x80 | int(rng, 128) : int(rng, 128));
      return concat(concat(b.subarray(0, Math.min(1, n)), Uint8Array.from(varint)), b.subarray(Math.min(n, i + 1)));
    }
    case 6: // a new first byte: any type, any flags
      if (n > 0) b[0] = int(rng, 256);
      return b;
    case 7: // followed by another packet
      return concat(b, other());
    case 8: {
      // duplicate a slice
      const at = int(rng, n + 1);
      const end = Math.min(n, at + 1 + int(rng, 8));
      return concat(concat(b.subarray(0, end), b.subarray(at, end)), b.subarray(end));
    }
    case 9: // a 16-bit length field made large or zero
      if (n > 3) {
        const at = 2 + int(rng, n - 3);
        b[at] = rng() < 0.5 ? 0 : 0xff;
        b[at + 1] = rng() < 0.5 ? 0 : int(rng, 256);
      }
      return b;
    default: // plain random bytes
      return bytes(rng, 40);
  }
}

/**
 * `count` fuzz inputs from `seed`, from 3.1.1 packets or (version 5) MQTT 5.0 ones. Deterministic:
 * the same arguments give the same inputs in every engine. About 1 in 8 inputs is left valid so
 * the decoder's success paths stay covered.
 */
export function* fuzzPackets(count: number, seed: number, version: ProtocolVersion = 4): Generator<Uint8Array> {
  const rng = rng32(seed);
  const vectors = (version === 5 ? V5_VECTORS : VECTORS).map((v) => fromHex(v.hex));
  const seedPacket = (): Uint8Array => (rng() < 0.3 ? pick(rng, vectors) : version === 5 ? encodePacket(randomPacket5(rng), 5) : encodePacket(randomPacket(rng)));
  for (let i = 0; i < count; i++) {
    let b = seedPacket();
    if (rng() >= 0.125) {
      for (let m = 1 + int(rng, 3); m > 0; m--) b = mutate(b, rng, seedPacket);
    }
    yield b;
  }
}

/** Splits `bytes` into 1..5 chunks at random points (sometimes one byte at a time). */
export function chunkings(bytes: Uint8Array, rng: Rng): Uint8Array[] {
  if (rng() < 0.05) {
    const out: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(bytes.subarray(i, i + 1));
    return out;
  }
  const cuts: number[] = [];
  for (let k = int(rng, 5); k > 0; k--) cuts.push(int(rng, bytes.length + 1));
  return splitAt(bytes, cuts.sort((a, b) => a - b));
}

/** Splits `bytes` at ascending byte offsets (a repeated offset gives an empty chunk). */
export function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let last = 0;
  for (const c of offsets) {
    out.push(bytes.subarray(last, c));
    last = c;
  }
  out.push(bytes.subarray(last));
  return out;
}
