/**
 * MQTT 5.0 codec vectors, run in Node and in XS with identical results: byte-exact encoding of
 * every packet type with properties and reason codes, decoding under every chunking, every named
 * decode and encode error, the version switch at CONNECT, and the reason code tables.
 */
import type { Json, Suite } from '../harness';
import { encode, encodedLength, EncodeError, validatePacket } from '../../src/mqtt/codec';
import { encodeAliasedPublish } from '../../src/mqtt/codec-v5';
import { Decoder } from '../../src/mqtt/decoder';
import { PacketType, type Packet, type ProtocolError, type ProtocolVersion } from '../../src/mqtt/packets';
import { describeReasonCode, isReasonCodeAllowed, REASON_CODE_PACKET_TYPES } from '../../src/mqtt/reason-codes';
import { fromHex, toHex } from './codec-vectors';
import { canon } from './codec-vectors.suite';
import { V4_REFUSES_V5, V5_DECODE_ERRORS, V5_ENCODE_ERRORS, V5_VECTORS } from './codec-v5-vectors';

interface Run {
  packets: Packet[];
  errors: ProtocolError[];
  decoder: Decoder;
}

function decodeChunks(chunks: Uint8Array[], protocolVersion: ProtocolVersion = 5): Run {
  const packets: Packet[] = [];
  const errors: ProtocolError[] = [];
  const decoder = new Decoder({ onPacket: (p) => packets.push(p), onError: (e) => errors.push(e), protocolVersion });
  for (const c of chunks) decoder.push(c);
  return { packets, errors, decoder };
}

function encodeOne(p: Packet, version: ProtocolVersion = 5): Uint8Array {
  const out = new Uint8Array(encodedLength(p, version));
  const n = encode(p, out, 0, version);
  if (n !== out.length) throw new Error(`encode wrote ${n}, encodedLength said ${out.length}`);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const json = (v: unknown): string => JSON.stringify(canon(v));

export const suite: Suite = {
  name: 'mqtt-codec-v5',
  cases: [
    {
      name: 'encode: every packet type with properties and reason codes, byte-exact',
      run: (t) =>
        V5_VECTORS.map((v) => {
          const got = toHex(encodeOne(v.packet));
          t.equal(got, toHex(fromHex(v.hex)), v.name);
          return [v.name, got];
        }),
    },
    {
      name: 'encode: at an offset into a larger buffer, the bytes around it untouched (long property section moved in place)',
      run: (t) => {
        const results: Json[] = [];
        for (const v of V5_VECTORS) {
          const expected = fromHex(v.hex);
          const buffer = new Uint8Array(expected.length + 9).fill(0xaa);
          const n = encode(v.packet, buffer, 4, 5);
          t.equal(n, expected.length, v.name);
          t.equal(toHex(buffer.subarray(4, 4 + n)), toHex(expected), v.name);
          t.equal(buffer[3], 0xaa, v.name);
          t.equal(buffer[4 + n], 0xaa, v.name);
          results.push(n);
        }
        return results;
      },
    },
    {
      name: 'decode: every vector as one chunk yields exactly its packet',
      run: (t) =>
        V5_VECTORS.map((v) => {
          const run = decodeChunks([fromHex(v.hex)]);
          t.equal(run.errors.length, 0, `${v.name}: ${JSON.stringify(run.errors)}`);
          t.equal(run.packets.length, 1, v.name);
          t.equal(json(run.packets[0]), json(v.packet), v.name);
          return canon(run.packets[0]);
        }),
    },
    {
      name: 'decode: all vectors in one stream, byte by byte and split at every position',
      run: (t) => {
        const bytes = concat(V5_VECTORS.map((v) => fromHex(v.hex)));
        const expected = JSON.stringify(V5_VECTORS.map((v) => canon(v.packet)));
        t.equal(JSON.stringify(decodeChunks([bytes]).packets.map(canon)), expected, 'one chunk');
        const single: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1));
        t.equal(JSON.stringify(decodeChunks(single).packets.map(canon)), expected, 'byte by byte');
        for (let cut = 1; cut < bytes.length; cut++) {
          const run = decodeChunks([bytes.subarray(0, cut), bytes.subarray(cut)]);
          t.equal(run.errors.length, 0, `split at ${cut}`);
          t.equal(JSON.stringify(run.packets.map(canon)), expected, `split at ${cut}`);
        }
        return bytes.length;
      },
    },
    {
      name: 'decode: every malformed 5.0 input gives its named error, once, and no packet',
      run: (t) =>
        V5_DECODE_ERRORS.map((v) => {
          const run = decodeChunks([fromHex(v.hex)]);
          t.equal(run.packets.length, 0, v.name);
          t.equal(run.errors.length, 1, v.name);
          t.equal(run.errors[0]?.code, v.code, `${v.name}: ${run.errors[0]?.message}`);
          t.equal(run.decoder.error?.code, v.code, v.name);
          // Byte by byte gives the same error.
          const bytes = fromHex(v.hex);
          const single: Uint8Array[] = [];
          for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1));
          t.equal(decodeChunks(single).errors[0]?.code, v.code, `${v.name} byte by byte`);
          return [v.name, run.errors[0]?.code ?? null];
        }),
    },
    {
      name: 'encode: every invalid 5.0 packet is refused with its named error, never half-written silently',
      run: (t) =>
        V5_ENCODE_ERRORS.map((v) => {
          t.equal(validatePacket(v.packet, 5)?.code, v.code, v.name);
          t.equal(encodedLength(v.packet, 5), -1, v.name);
          let thrown: unknown;
          try {
            encode(v.packet, new Uint8Array(200_000), 0, 5);
          } catch (e) {
            thrown = e;
          }
          t.ok(thrown instanceof EncodeError, `${v.name}: EncodeError`);
          t.equal((thrown as EncodeError).code, v.code, v.name);
          return [v.name, (thrown as EncodeError).code];
        }),
    },
    {
      name: '3.1.1 refuses 5.0 fields (properties, reason codes, AUTH) by name',
      run: (t) =>
        V4_REFUSES_V5.map((v) => {
          t.equal(validatePacket(v.packet, 4)?.code, v.code, v.name);
          t.equal(encodedLength(v.packet), -1, v.name);
          return [v.name, v.code];
        }),
    },
    {
      name: 'the same PUBLISH encodes for 3.1.1 and 5.0 (an empty property section), ASCII fast path and general path alike',
      run: (t) => {
        const p: Packet = { type: PacketType.PUBLISH, topic: 'd/1', payload: new Uint8Array([1, 2]), qos: 1, retain: false, dup: false, packetId: 258 };
        const v4 = toHex(encodeOne(p, 4));
        const v5 = toHex(encodeOne(p, 5));
        t.equal(v4, '3209' + '0003642f31' + '0102' + '0102');
        t.equal(v5, '320a' + '0003642f31' + '0102' + '00' + '0102');
        const nonAscii: Packet = { ...p, topic: 'd/é' };
        const v5b = toHex(encodeOne(nonAscii, 5));
        t.equal(v5b, '320b' + '0004642fc3a9' + '0102' + '00' + '0102');
        t.equal(encodedLength(p, 5), encodedLength(p, 4) + 1);
        return [v4, v5, v5b];
      },
    },
    {
      name: 'the 5.0 PUBLISH hot path (no properties, or only a topic alias) writes exactly what the general path writes, and declines what it cannot',
      run: (t) => {
        const out: Json[] = [];
        const payload = new Uint8Array([1, 2, 3]);
        const cases: [string, 0 | 1 | 2, boolean, number][] = [
          ['dev/t', 0, false, 0],
          ['dev/t', 1, false, 7],
          ['', 1, true, 7],
          ['', 2, false, 65535],
          ['x'.repeat(200), 1, false, 1],
        ];
        for (const [topic, qos, dup, alias] of cases) {
          const p: Packet = { type: PacketType.PUBLISH, topic, payload, qos, retain: qos === 2, dup: qos === 0 ? false : dup };
          if (qos !== 0) p.packetId = 300;
          const general = alias === 0 ? p : { ...p, properties: { topicAlias: alias } };
          const expected = encodeOne(general);
          const buffer = new Uint8Array(expected.length + 4).fill(0xee);
          const n = encodeAliasedPublish(p, alias, buffer, 2);
          t.equal(toHex(buffer.subarray(2, 2 + n)), toHex(expected), `${topic.slice(0, 8)} q${qos} alias ${alias}`);
          t.equal(buffer[1], 0xee);
          t.equal(buffer[2 + n], 0xee);
          out.push(toHex(expected).slice(0, 16));
        }
        const declines = [
          encodeAliasedPublish({ type: PacketType.PUBLISH, topic: 'caf\u00e9', payload, qos: 0, retain: false, dup: false }, 0, new Uint8Array(64), 0),
          encodeAliasedPublish({ type: PacketType.PUBLISH, topic: 'a/+', payload, qos: 0, retain: false, dup: false }, 0, new Uint8Array(64), 0),
          encodeAliasedPublish({ type: PacketType.PUBLISH, topic: '', payload, qos: 0, retain: false, dup: false }, 0, new Uint8Array(64), 0),
          encodeAliasedPublish({ type: PacketType.PUBLISH, topic: 'a', payload, qos: 1, retain: false, dup: false, packetId: 0 }, 1, new Uint8Array(64), 0),
          encodeAliasedPublish({ type: PacketType.PUBLISH, topic: 'a', payload, qos: 0, retain: false, dup: false }, 65536, new Uint8Array(64), 0),
          encodeAliasedPublish({ type: PacketType.PUBLISH, topic: 'a', payload, qos: 0, retain: false, dup: false }, 1, new Uint8Array(8), 0),
        ];
        t.equal(declines, [0, 0, 0, 0, 0, 0]);
        return out;
      },
    },
    {
      name: 'a decoded CONNECT sets the version: a broker-side decoder follows the client, both ways',
      run: (t) => {
        const connect5 = fromHex(V5_VECTORS[0].hex);
        const publish5 = fromHex('32 0b 0001 74 0001 04 03000178 ff');
        const run = decodeChunks([concat([connect5, publish5])], 4);
        t.equal(run.errors.length, 0, JSON.stringify(run.errors));
        t.equal(run.decoder.protocolVersion, 5);
        t.equal(json(run.packets[1]), json({ type: PacketType.PUBLISH, topic: 't', payload: new Uint8Array([0xff]), qos: 1, retain: false, dup: false, packetId: 1, properties: { contentType: 'x' } }));
        // Back to 3.1.1: the same PUBLISH bytes are now read without properties.
        const connect4 = fromHex('10 0d 0004 4d515454 04 02 003c 0001 61');
        const back = decodeChunks([concat([connect4, fromHex('30 03 0001 74')])], 5);
        t.equal(back.errors.length, 0);
        t.equal(back.decoder.protocolVersion, 4);
        t.equal(back.packets.length, 2);
        // AUTH (type 15) is reserved in 3.1.1.
        t.equal(decodeChunks([fromHex('f0 00')], 4).errors[0]?.code, 'UNKNOWN_PACKET_TYPE');
        return [run.packets.map(canon), back.packets.map(canon)];
      },
    },
    {
      name: 'reason codes: every packet type accepts only its own, with the specification names',
      run: (t) => {
        const table: Json[] = [];
        for (const type of REASON_CODE_PACKET_TYPES) {
          const allowed: number[] = [];
          for (let c = 0; c < 256; c++) if (isReasonCodeAllowed(type, c)) allowed.push(c);
          table.push([type, allowed.length]);
        }
        t.equal(JSON.stringify(table), JSON.stringify([[2, 22], [4, 9], [5, 9], [6, 2], [7, 2], [9, 12], [11, 7], [14, 29], [15, 3]]));
        t.ok(!isReasonCodeAllowed(PacketType.PUBLISH, 0), 'PUBLISH has no reason code');
        t.equal(describeReasonCode(0x95), '0x95 Packet too large');
        t.equal(describeReasonCode(0x8e), '0x8e Session taken over');
        t.equal(describeReasonCode(0x04), '0x04 Disconnect with Will Message');
        t.equal(describeReasonCode(0x7f), '0x7f reason code 0x7f');
        return table;
      },
    },
    {
      name: 'maximum packet size applies to 5.0 packets as they arrive, and can change between packets',
      run: (t) => {
        const bytes = fromHex(V5_VECTORS[5].hex); // 56 bytes
        const small = decodeChunks([], 5);
        small.decoder.maxPacketSize = 55;
        small.decoder.push(bytes);
        t.equal(small.errors[0]?.code, 'PACKET_TOO_LARGE');
        const ok = decodeChunks([], 5);
        ok.decoder.maxPacketSize = 56;
        ok.decoder.push(bytes);
        t.equal(ok.errors.length, 0);
        t.equal(ok.packets.length, 1);
        // 3.1.1's skipping of an oversized PUBLISH does not apply: a 5.0 server must respect the
        // client's Maximum Packet Size, so a larger packet is a protocol error.
        const errors: string[] = [];
        const skipping = new Decoder({ protocolVersion: 5, maxPacketSize: 20, skipOversizedPublish: true, onError: (e) => errors.push(e.code) });
        skipping.push(bytes);
        t.equal(errors, ['PACKET_TOO_LARGE']);
        return bytes.length;
      },
    },
  ],
};
