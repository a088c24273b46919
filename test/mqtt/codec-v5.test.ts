/**
 * Node-only MQTT 5.0 codec properties: fast-check round trips under arbitrary chunking, and
 * cross-checks against mqtt-packet with protocolVersion 5 in both directions (it parses our
 * bytes to the same packet; we parse its bytes to the same packet; the bytes are identical
 * where both write the canonical form).
 */
import fc from 'fast-check';
import mqtt from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { encode, encodedLength } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import { PacketType, type Packet, type ProtocolError } from '../../src/mqtt/packets';
import { anyPacket5, fromMqttPacket5, toMqttPacket5 } from './codec-v5-arbitraries';
import { V5_VECTORS } from './codec-v5-vectors';
import { fromHex, toHex } from './codec-vectors';
import { canon } from './codec-vectors.suite';
import { splitAt } from './fuzz-corpus';

function encodeAll(packets: Packet[]): Uint8Array {
  const lengths = packets.map((p) => encodedLength(p, 5));
  const out = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  let o = 0;
  packets.forEach((p, i) => {
    expect(lengths[i]).toBeGreaterThan(0);
    const n = encode(p, out, o, 5);
    expect(n).toBe(lengths[i]);
    o += n;
  });
  return out;
}

function decodeAll(chunks: Uint8Array[], copyPayload = true): { packets: Packet[]; errors: ProtocolError[] } {
  const packets: Packet[] = [];
  const errors: ProtocolError[] = [];
  const d = new Decoder({ onPacket: (p) => packets.push(p), onError: (e) => errors.push(e), copyPayload, maxPacketSize: 1 << 20, protocolVersion: 5 });
  for (const c of chunks) d.push(c);
  expect(d.buffered).toBe(0);
  return { packets, errors };
}

function mqttParse(bytes: Uint8Array): mqtt.Packet[] {
  const parser = mqtt.parser({ protocolVersion: 5 });
  const out: mqtt.Packet[] = [];
  parser.on('packet', (p) => out.push(p));
  parser.on('error', (e) => {
    throw e;
  });
  parser.parse(Buffer.from(bytes));
  return out;
}

/**
 * Where 5.0 lets a sender leave fields off, mqtt-packet keeps some we drop: an acknowledgement
 * with a reason code and no properties (it writes an empty property length too), and a
 * DISCONNECT or AUTH without properties (it writes the reason code and an empty property length).
 * Both forms are valid [MQTT 5.0 3.4.2.2.1, 3.14.2.2.1]; the bytes are compared everywhere else.
 */
function sameCanonicalForm(p: Packet): boolean {
  const props = (p as { properties?: unknown }).properties;
  switch (p.type) {
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return props !== undefined || (p.reasonCode ?? 0) === 0;
    case PacketType.DISCONNECT:
    case PacketType.AUTH:
      return props !== undefined;
    default:
      return true;
  }
}

/**
 * mqtt-packet's generate() refuses a password without a user name (5.0 allows it, 3.1.2.9) and
 * an empty client id without Clean Start (5.0 lets the server decide, 3.1.3.1).
 */
function mqttPacketGenerates(p: Packet): boolean {
  if (p.type !== PacketType.CONNECT) return true;
  return !(p.password !== undefined && p.username === undefined) && !(p.clientId === '' && !p.cleanSession);
}

/** mqtt-packet's parser reads a reason code from an AUTH of remaining length 0, which 5.0 allows (3.15.2.1). */
function mqttPacketParses(bytes: Uint8Array): boolean {
  return !(bytes[0] === 0xf0 && bytes[1] === 0);
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

describe('mqtt 5.0 codec properties', () => {
  it('encode -> decode under arbitrary chunking gives the packets back (copying and sharing payloads)', () => {
    fc.assert(
      fc.property(fc.array(anyPacket5, { minLength: 1, maxLength: 6 }), cuts, fc.boolean(), (packets, cutPoints, copy) => {
        const bytes = encodeAll(packets);
        const points = [...new Set(cutPoints.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
        const run = decodeAll(splitAt(bytes, points), copy);
        expect(run.errors).toEqual([]);
        expect(run.packets.map(canon)).toEqual(packets.map(canon));
      }),
      { numRuns: 1500 },
    );
  });

  it('mqtt-packet (protocolVersion 5) parses our bytes to the same packet, we parse its bytes to the same packet, and the bytes agree', () => {
    let compared = 0;
    fc.assert(
      fc.property(anyPacket5, (p) => {
        const ours = encodeAll([p]);
        if (mqttPacketParses(ours)) {
          const parsedByThem = mqttParse(ours);
          expect(parsedByThem.length).toBe(1);
          expect(canon(fromMqttPacket5(parsedByThem[0]))).toEqual(canon(p));
        }
        if (!mqttPacketGenerates(p)) return;
        const theirs = mqtt.generate(toMqttPacket5(p), { protocolVersion: 5 });
        if (sameCanonicalForm(p)) {
          expect(toHex(ours)).toBe(theirs.toString('hex'));
          compared++;
        }
        const parsedByUs = decodeAll([new Uint8Array(theirs)]);
        expect(parsedByUs.errors).toEqual([]);
        expect(parsedByUs.packets.map(canon)).toEqual([canon(p)]);
      }),
      { numRuns: 2000 },
    );
    expect(compared).toBeGreaterThan(1200);
  });

  it('the hand-written 5.0 vectors parse in mqtt-packet to the same packets, and its bytes match where the form is canonical', () => {
    for (const v of V5_VECTORS) {
      if (mqttPacketParses(fromHex(v.hex))) expect(canon(fromMqttPacket5(mqttParse(fromHex(v.hex))[0])), v.name).toEqual(canon(v.packet));
      if (sameCanonicalForm(v.packet) && mqttPacketGenerates(v.packet)) expect(mqtt.generate(toMqttPacket5(v.packet), { protocolVersion: 5 }).toString('hex'), v.name).toBe(toHex(fromHex(v.hex)));
    }
  });
});
