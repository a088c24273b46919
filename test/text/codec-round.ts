/**
 * One pass of the MQTT codec over the shared vectors plus non-ASCII strings: encodes each packet
 * and decodes its bytes, returning what came out. Run once with the engine's TextEncoder /
 * TextDecoder and once without them, the results must be identical.
 */
import type { Json } from '../harness';
import { encode, encodedLength } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import { PacketType, type Packet } from '../../src/mqtt/packets';
import { DECODE_ERRORS, fromHex, toHex, VECTORS } from '../mqtt/codec-vectors';
import { canon } from '../mqtt/codec-vectors.suite';

const EXTRA: Packet[] = [
  { type: PacketType.PUBLISH, topic: 'températures/😀/°C', payload: new Uint8Array([1, 2]), qos: 1, packetId: 7, retain: false, dup: false },
  { type: PacketType.PUBLISH, topic: 'devices/d1/messages/events/', payload: new Uint8Array(0), qos: 0, retain: false, dup: false },
  { type: PacketType.CONNECT, clientId: 'thermo-é-温度', cleanSession: true, keepAlive: 60, username: 'hub/thermo/?api-version=2021-04-12' },
  { type: PacketType.SUBSCRIBE, packetId: 9, subscriptions: [{ topicFilter: 'devices/é/#', qos: 1 }] },
];

/** Strings the decoder must refuse, in a PUBLISH topic: overlong '/', a surrogate, U+0000. */
const BAD_TOPICS = ['c0af', 'eda080', 'f4908080', '6100'];

export function codecRound(): Json {
  const out: Json[] = [];
  const packets = [...VECTORS.map((v) => v.packet), ...EXTRA];
  for (const p of packets) {
    const bytes = new Uint8Array(encodedLength(p));
    const n = encode(p, bytes, 0);
    const decoded: Json[] = [];
    const decoder = new Decoder({ onPacket: (q) => decoded.push(canon(q)), onError: (e) => decoded.push(e.code) });
    decoder.push(bytes.subarray(0, n));
    out.push({ hex: toHex(bytes.subarray(0, n)), decoded });
  }
  const wires = [...VECTORS.map((v) => v.hex), ...DECODE_ERRORS.map((e) => e.hex)];
  for (const topic of BAD_TOPICS) {
    const length = topic.length / 2;
    wires.push(`30 ${(2 + length).toString(16).padStart(2, '0')} 00${length.toString(16).padStart(2, '0')} ${topic}`);
  }
  for (const hex of wires) {
    const decoded: Json[] = [];
    const decoder = new Decoder({ onPacket: (q) => decoded.push(canon(q)), onError: (e) => decoded.push(e.code) });
    decoder.push(fromHex(hex));
    out.push(decoded);
  }
  return out;
}
