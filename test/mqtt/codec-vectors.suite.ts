/**
 * MQTT codec vectors, run in Node and in XS with identical results: byte-exact encoding of every
 * packet type, decoding under every chunking, every named decode and encode error, UTF-8 edge
 * cases, topic validation and matching.
 */
import type { Json, Suite } from '../harness';
import { encode, encodedLength, EncodeError, validatePacket } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import { connackError } from '../../src/mqtt/errors';
import { PacketType, type Packet, type ProtocolError } from '../../src/mqtt/packets';
import { topicMatches, validateTopicFilter, validateTopicName } from '../../src/mqtt/topic';
import { DECODE_ERRORS, ENCODE_ERRORS, fromHex, toHex, VECTORS } from './codec-vectors';

/** Packets as comparable JSON: sorted keys, byte arrays as hex. */
export function canon(value: unknown): Json {
  if (value instanceof Uint8Array) return 'hex:' + toHex(value);
  if (Array.isArray(value)) return value.map(canon);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) out[key] = canon((value as Record<string, unknown>)[key]);
    return out;
  }
  return value as Json;
}

interface Run {
  packets: Packet[];
  errors: ProtocolError[];
}

function decodeChunks(chunks: Uint8Array[], maxPacketSize?: number): Run {
  const run: Run = { packets: [], errors: [] };
  const decoder = new Decoder({ onPacket: (p) => run.packets.push(p), onError: (e) => run.errors.push(e), maxPacketSize });
  for (const c of chunks) decoder.push(c);
  return run;
}

function encodeOne(p: Packet): Uint8Array {
  const out = new Uint8Array(encodedLength(p));
  const n = encode(p, out, 0);
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

const stream = (): Uint8Array => concat(VECTORS.map((v) => fromHex(v.hex)));

export const suite: Suite = {
  name: 'mqtt-codec-vectors',
  cases: [
    {
      name: 'encode: every packet type, byte-exact against the hand-written vectors',
      run: (t) => {
        return VECTORS.map((v) => {
          const got = toHex(encodeOne(v.packet));
          t.equal(got, toHex(fromHex(v.hex)), v.name);
          return [v.name, got];
        });
      },
    },
    {
      name: 'encode: at an offset, leaving the bytes around it alone',
      run: (t) => {
        const v = VECTORS[7];
        const buffer = new Uint8Array(64).fill(0xaa);
        const n = encode(v.packet, buffer, 5);
        t.equal(n, fromHex(v.hex).length);
        t.equal(toHex(buffer.subarray(5, 5 + n)), toHex(fromHex(v.hex)));
        t.equal(buffer[4], 0xaa);
        t.equal(buffer[5 + n], 0xaa);
        t.throws(() => encode(v.packet, buffer, 64 - n + 1), /needs/);
        return n;
      },
    },
    {
      name: 'decode: every vector as one chunk yields exactly its packet',
      run: (t) => {
        return VECTORS.map((v) => {
          const run = decodeChunks([fromHex(v.hex)]);
          t.equal(run.errors.length, 0, `${v.name}: ${JSON.stringify(run.errors)}`);
          t.equal(run.packets.length, 1, v.name);
          t.equal(JSON.stringify(canon(run.packets[0])), JSON.stringify(canon(v.packet)), v.name);
          return canon(run.packets[0]);
        });
      },
    },
    {
      name: 'decode: all vectors in one chunk, byte by byte, and split at every position',
      run: (t) => {
        const bytes = stream();
        const expected = JSON.stringify(VECTORS.map((v) => canon(v.packet)));
        const whole = decodeChunks([bytes]);
        t.equal(JSON.stringify(whole.packets.map(canon)), expected, 'one chunk');
        const single: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1));
        t.equal(JSON.stringify(decodeChunks(single).packets.map(canon)), expected, 'byte by byte');
        for (let cut = 1; cut < bytes.length; cut++) {
          const run = decodeChunks([bytes.subarray(0, cut), bytes.subarray(cut)]);
          t.equal(run.errors.length, 0, `split at ${cut}`);
          t.equal(JSON.stringify(run.packets.map(canon)), expected, `split at ${cut}`);
        }
        // Three-way splits with a short middle piece: splits inside headers and varints.
        for (let a = 1; a < bytes.length - 3; a += 3) {
          const run = decodeChunks([bytes.subarray(0, a), bytes.subarray(a, a + 2), bytes.subarray(a + 2)]);
          t.equal(JSON.stringify(run.packets.map(canon)), expected, `split at ${a}, ${a + 2}`);
        }
        return [bytes.length, whole.packets.length];
      },
    },
    {
      name: 'remaining length varint at its boundaries, split inside the varint',
      run: (t) => {
        const results: Json[] = [];
        for (const remaining of [0, 127, 128, 16383, 16384, 2097151, 2097152]) {
          // PUBLISH QoS 0 with topic "t": remaining = 3 + payload.
          if (remaining < 3) continue;
          const p: Packet = { type: PacketType.PUBLISH, topic: 't', payload: new Uint8Array(remaining - 3).fill(7), qos: 0, retain: false, dup: false };
          const bytes = encodeOne(p);
          const headerLength = bytes.length - remaining;
          const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 3), bytes.subarray(3)];
          const run = decodeChunks(chunks, 4 * 1024 * 1024);
          t.equal(run.errors.length, 0);
          t.equal((run.packets[0] as { payload: Uint8Array }).payload.length, remaining - 3);
          results.push([remaining, headerLength, toHex(bytes.subarray(0, headerLength))]);
        }
        t.equal(JSON.stringify(results[1]), JSON.stringify([128, 3, '308001']));
        t.equal(JSON.stringify(results[5]), JSON.stringify([2097152, 5, '3080808001']));
        return results;
      },
    },
    {
      name: 'decode errors: each named error, whole and byte by byte, no packet delivered',
      run: (t) => {
        return DECODE_ERRORS.map((c) => {
          const bytes = fromHex(c.hex);
          const whole = decodeChunks([bytes], c.maxPacketSize);
          t.equal(whole.errors.length, 1, c.name);
          t.equal(whole.errors[0].code, c.code, c.name);
          t.equal(whole.packets.length, 0, c.name);
          const single: Uint8Array[] = [];
          for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1));
          const bytewise = decodeChunks(single, c.maxPacketSize);
          t.equal(bytewise.errors.length, 1, `${c.name} byte by byte`);
          t.equal(bytewise.errors[0].code, c.code, `${c.name} byte by byte`);
          t.ok(whole.errors[0].message.length > 0);
          return [c.name, whole.errors[0].code];
        });
      },
    },
    {
      name: 'an oversized packet fails as soon as its length is known, before its body is buffered',
      run: (t) => {
        const errors: string[] = [];
        const decoder = new Decoder({ maxPacketSize: 1000, onError: (e) => errors.push(e.code) });
        decoder.push(fromHex('30 e9')); // varint continues
        t.equal(errors.length, 0);
        decoder.push(fromHex('07')); // remaining = 0x69 + 7*128 = 1001
        t.equal(JSON.stringify(errors), '["PACKET_TOO_LARGE"]');
        t.equal(decoder.buffered, 0);
        // Exactly at the limit passes: 1 + 2 + 997 = 1000.
        const ok = decodeChunks([encodeOne({ type: PacketType.PUBLISH, topic: 't', payload: new Uint8Array(994), qos: 0, retain: false, dup: false })], 1000);
        t.equal(ok.packets.length, 1);
        t.equal(ok.errors.length, 0);
        return errors;
      },
    },
    {
      name: 'after an error the decoder ignores input until reset()',
      run: (t) => {
        const run: Run = { packets: [], errors: [] };
        const decoder = new Decoder({ onPacket: (p) => run.packets.push(p), onError: (e) => run.errors.push(e) });
        decoder.push(fromHex('c0 00  40 02 0000  c0 00'));
        t.equal(run.packets.length, 1, 'the PINGREQ before the error is delivered');
        t.equal(run.errors.length, 1);
        t.equal(decoder.error?.code, 'PACKET_ID_ZERO');
        decoder.push(fromHex('d0 00'));
        t.equal(run.packets.length, 1, 'dead');
        t.equal(run.errors.length, 1, 'the error is reported once');
        decoder.reset();
        t.equal(decoder.error, undefined);
        decoder.push(fromHex('d0 00'));
        t.equal(run.packets.length, 2);
        return run.packets.map(canon);
      },
    },
    {
      name: 'reset() from inside onPacket drops the rest of the chunk; a throwing callback kills the decoder',
      run: (t) => {
        const seen: number[] = [];
        const decoder: Decoder = new Decoder({
          onPacket: (p) => {
            seen.push(p.type);
            if (p.type === PacketType.PINGRESP) decoder.reset();
          },
        });
        decoder.push(fromHex('c0 00  d0 00  e0 00'));
        t.equal(JSON.stringify(seen), '[12,13]');
        decoder.push(fromHex('e0 00'));
        t.equal(JSON.stringify(seen), '[12,13,14]');
        const throwing = new Decoder({
          onPacket: () => {
            throw new Error('boom');
          },
        });
        t.throws(() => throwing.push(fromHex('c0 00 c0 00')), /boom/);
        let after = 0;
        throwing.onPacket = () => after++;
        throwing.push(fromHex('c0 00'));
        t.equal(after, 0, 'dead after a throwing callback');
        throwing.reset();
        throwing.push(fromHex('c0 00'));
        t.equal(after, 1);
        return seen;
      },
    },
    {
      name: 'payloads are copies by default and views with copyPayload: false',
      run: (t) => {
        const bytes = fromHex(VECTORS[6].hex); // PUBLISH QoS 0 "hi"
        let copied: Uint8Array | undefined;
        new Decoder({ onPacket: (p) => (copied = (p as { payload: Uint8Array }).payload) }).push(bytes);
        let view: Uint8Array | undefined;
        new Decoder({ copyPayload: false, onPacket: (p) => (view = (p as { payload: Uint8Array }).payload) }).push(bytes);
        bytes[5] = 0x21;
        t.equal(toHex(copied as Uint8Array), '6869');
        t.equal(toHex(view as Uint8Array), '2169');
        return [toHex(copied as Uint8Array), toHex(view as Uint8Array)];
      },
    },
    {
      name: 'encode errors: each named error from validatePacket, encodedLength -1, encode throws EncodeError',
      run: (t) => {
        return ENCODE_ERRORS.map((c) => {
          const error = validatePacket(c.packet);
          t.equal(error?.code, c.code, c.name);
          t.equal(encodedLength(c.packet), -1, c.name);
          let thrown: unknown;
          try {
            encode(c.packet, new Uint8Array(70000), 0);
          } catch (e) {
            thrown = e;
          }
          t.ok(thrown instanceof EncodeError, `${c.name}: EncodeError`);
          t.equal((thrown as EncodeError).code, c.code, c.name);
          return [c.name, c.code];
        });
      },
    },
    {
      name: 'every vector validates',
      run: (t) => {
        for (const v of VECTORS) t.equal(validatePacket(v.packet), undefined, v.name);
        return VECTORS.length;
      },
    },
    {
      name: 'connackError maps return codes 1..5 to the named errors',
      run: (t) => {
        t.equal(connackError(0), undefined);
        const codes = [1, 2, 3, 4, 5, 6].map((c) => connackError(c)?.code ?? null);
        t.equal(
          JSON.stringify(codes),
          JSON.stringify([
            'CONNACK_UNACCEPTABLE_PROTOCOL_VERSION',
            'CONNACK_IDENTIFIER_REJECTED',
            'CONNACK_SERVER_UNAVAILABLE',
            'CONNACK_BAD_USERNAME_OR_PASSWORD',
            'CONNACK_NOT_AUTHORIZED',
            'CONNACK_INVALID_RETURN_CODE',
          ]),
        );
        // The decoder delivers codes 1..5 as CONNACK packets for the session to map.
        const run = decodeChunks([fromHex('20 02 00 04')]);
        t.equal((run.packets[0] as { returnCode: number }).returnCode, 4);
        return codes;
      },
    },
    {
      name: 'topic names and filters: validation',
      run: (t) => {
        const names: [string, string | null][] = [
          ['a', null],
          ['/', null],
          ['a//b', null],
          ['$SYS/x', null],
          ['devices/d1/messages/events/%24.ct=application%2Fjson', null],
          ['', 'EMPTY_TOPIC'],
          ['a/+', 'WILDCARD_IN_TOPIC'],
          ['#', 'WILDCARD_IN_TOPIC'],
          ['a\u0000', 'NULL_CHARACTER'],
          ['\ud83c', 'INVALID_UTF8'],
          ['caf\u00e9', null],
        ];
        const filters: [string, string | null][] = [
          ['#', null],
          ['+', null],
          ['a/#', null],
          ['+/+', null],
          ['/+/', null],
          ['a/+/c/#', null],
          ['$share/g/#', null],
          ['', 'INVALID_TOPIC_FILTER'],
          ['a#', 'INVALID_TOPIC_FILTER'],
          ['a/#/b', 'INVALID_TOPIC_FILTER'],
          ['#/', 'INVALID_TOPIC_FILTER'],
          ['a+/b', 'INVALID_TOPIC_FILTER'],
          ['a/+b', 'INVALID_TOPIC_FILTER'],
          ['++', 'INVALID_TOPIC_FILTER'],
          ['a/\u0000', 'NULL_CHARACTER'],
        ];
        const out: Json[] = [];
        for (const [s, code] of names) {
          t.equal(validateTopicName(s)?.code ?? null, code, `name ${JSON.stringify(s)}`);
          out.push(code);
        }
        for (const [s, code] of filters) {
          t.equal(validateTopicFilter(s)?.code ?? null, code, `filter ${JSON.stringify(s)}`);
          out.push(code);
        }
        return out;
      },
    },
    {
      name: 'topicMatches follows MQTT 3.1.1 section 4.7',
      run: (t) => {
        const table: [string, string, boolean][] = [
          ['sport/tennis/player1/#', 'sport/tennis/player1', true],
          ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
          ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
          ['sport/#', 'sport', true],
          ['sport/#', 'sports', false],
          ['#', 'a/b/c', true],
          ['#', '/', true],
          ['sport/tennis/+', 'sport/tennis/player1', true],
          ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
          ['sport/+', 'sport', false],
          ['sport/+', 'sport/', true],
          ['+/+', '/finance', true],
          ['/+', '/finance', true],
          ['+', '/finance', false],
          ['+', 'a', true],
          ['a/b', 'a/b', true],
          ['a/b', 'a/bc', false],
          ['a/b', 'a', false],
          ['a/+/c', 'a/b/c', true],
          ['a/+/c', 'a//c', true],
          ['+/#', 'a', true],
          ['#', '$SYS/x', false],
          ['+/monitor/Clients', '$SYS/monitor/Clients', false],
          ['$SYS/#', '$SYS/monitor/Clients', true],
          ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
          ['devices/d1/messages/devicebound/#', 'devices/d1/messages/devicebound/%24.to=%2Fdevices%2Fd1&k=v', true],
          ['devices/d1/messages/devicebound/#', 'devices/d2/messages/devicebound/x', false],
          ['$iothub/methods/POST/#', '$iothub/methods/POST/reboot/?$rid=1', true],
        ];
        return table.map(([filter, topic, expected]) => {
          const got = topicMatches(filter, topic);
          t.equal(got, expected, `${filter} vs ${topic}`);
          return got;
        });
      },
    },
  ],
};
