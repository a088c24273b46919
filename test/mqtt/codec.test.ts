/**
 * Node-only codec properties: fast-check round trips under arbitrary chunking, and cross-checks
 * against mqtt-packet in both directions (its parser reads our bytes; we read its bytes; for
 * valid packets the bytes are identical).
 */
import fc from 'fast-check';
import mqtt from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { encode, encodedLength } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import type { Packet, ProtocolError } from '../../src/mqtt/packets';
import { topicMatches } from '../../src/mqtt/topic';
import { anyPacket, fromMqttPacket, toMqttPacket, topicFilter, topicName } from './codec-arbitraries';
import { fromHex, toHex, VECTORS } from './codec-vectors';
import { splitAt } from './fuzz-corpus';
import { canon } from './codec-vectors.suite';

function encodeAll(packets: Packet[]): Uint8Array {
  const lengths = packets.map((p) => encodedLength(p));
  const out = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  let o = 0;
  packets.forEach((p, i) => {
    const n = encode(p, out, o);
    expect(n).toBe(lengths[i]);
    o += n;
  });
  return out;
}

/** Splits `bytes` at the given cut fractions. */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  return splitAt(bytes, [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b));
}

function decodeAll(chunks: Uint8Array[], copyPayload = true): { packets: Packet[]; errors: ProtocolError[] } {
  const packets: Packet[] = [];
  const errors: ProtocolError[] = [];
  const d = new Decoder({ onPacket: (p) => packets.push(p), onError: (e) => errors.push(e), copyPayload, maxPacketSize: 1 << 20 });
  for (const c of chunks) d.push(c);
  expect(d.buffered).toBe(0);
  return { packets, errors };
}

function mqttParse(bytes: Uint8Array): mqtt.Packet[] {
  const parser = mqtt.parser({ protocolVersion: 4 });
  const out: mqtt.Packet[] = [];
  parser.on('packet', (p) => out.push(p));
  parser.on('error', (e) => {
    throw e;
  });
  parser.parse(Buffer.from(bytes));
  return out;
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

describe('mqtt codec properties', () => {
  it('encode -> decode under arbitrary chunking gives the packets back (copying and sharing payloads)', () => {
    fc.assert(
      fc.property(fc.array(anyPacket, { minLength: 1, maxLength: 8 }), cuts, fc.boolean(), (packets, cutPoints, copy) => {
        const bytes = encodeAll(packets);
        const run = decodeAll(chunk(bytes, cutPoints), copy);
        expect(run.errors).toEqual([]);
        expect(run.packets.map(canon)).toEqual(packets.map(canon));
      }),
      { numRuns: 1500 },
    );
  });

  it('byte-at-a-time decoding equals whole-chunk decoding', () => {
    fc.assert(
      fc.property(fc.array(anyPacket, { minLength: 1, maxLength: 4 }), (packets) => {
        const bytes = encodeAll(packets);
        const single = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
        expect(decodeAll(single).packets.map(canon)).toEqual(packets.map(canon));
      }),
      { numRuns: 200 },
    );
  });

  it('our bytes equal mqtt-packet generate() bytes, and each side parses the other', () => {
    fc.assert(
      fc.property(anyPacket, (p) => {
        const ours = encodeAll([p]);
        const theirs = mqtt.generate(toMqttPacket(p));
        expect(toHex(ours)).toBe(theirs.toString('hex'));
        const parsedByThem = mqttParse(ours);
        expect(parsedByThem.length).toBe(1);
        expect(canon(fromMqttPacket(parsedByThem[0]))).toEqual(canon(p));
        const parsedByUs = decodeAll([new Uint8Array(theirs)]);
        expect(parsedByUs.errors).toEqual([]);
        expect(parsedByUs.packets.map(canon)).toEqual([canon(p)]);
      }),
      { numRuns: 1500 },
    );
  });

  it('the hand-written vectors are what mqtt-packet generates too', () => {
    for (const v of VECTORS) {
      expect(mqtt.generate(toMqttPacket(v.packet)).toString('hex'), v.name).toBe(toHex(fromHex(v.hex)));
      expect(canon(fromMqttPacket(mqttParse(fromHex(v.hex))[0])), v.name).toEqual(canon(v.packet));
    }
  });

  it('topicMatches agrees with a regular-expression model', () => {
    const model = (filter: string, topic: string): boolean => {
      if (topic.startsWith('$') && /^[+#]/.test(filter)) return false;
      const levels = filter.split('/');
      const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      let re = '';
      levels.forEach((l, i) => {
        if (l === '#') re += i === 0 ? '.*' : '(/.*)?';
        else re += (i === 0 ? '' : '/') + (l === '+' ? '[^/]*' : esc(l));
      });
      return new RegExp(`^${re}$`, 's').test(topic);
    };
    const related = fc.tuple(topicFilter, topicName).chain(([f, t]) =>
      fc.constantFrom<[string, string]>([f, t], [f, f.replace(/\+/g, 'x').replace(/\/?#$/, '') || 'x'], [f, f.replace(/\+/g, '').replace(/#/, 'a/b')]),
    );
    fc.assert(
      fc.property(related, ([filter, topic]) => {
        if (topic.length === 0 || /[+#]/.test(topic)) return;
        expect(topicMatches(filter, topic)).toBe(model(filter, topic));
      }),
      { numRuns: 5000 },
    );
  });
});
