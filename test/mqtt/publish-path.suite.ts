/**
 * The client's PUBLISH hot path, in Node and XS: topics validated and encoded once (TopicCache),
 * PUBLISH written around a topic already in the output buffer (encodePublishAround), a chunk that
 * is exactly one PUBACK acknowledged without the general decoder. Each is checked byte for byte
 * against the general encoder and decoder.
 */
import type { Json, Suite } from '../harness';
import { encode, encodedLength, encodePublishAround, publishLength, PUBLISH_TOPIC_AT } from '../../src/mqtt/codec';
import { PacketType, type PublishPacket, type QoS } from '../../src/mqtt/packets';
import { PUBLISH_INVALID, Session, SPLIT_PAYLOAD_BYTES } from '../../src/mqtt/session';
import { TopicCache } from '../../src/mqtt/topic-cache';
import { encodeUtf8 } from '../../src/text/utf8';
import { toHex } from './codec-vectors';

const TOPICS = ['a', 'devices/thermo-01/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8', 'caf\u00e9/\u6e29\u5ea6', 'emoji/\ud83d\ude00', '$iothub/twin/PATCH/properties/reported/?$rid=7'];

function payloadOf(n: number): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * 31 + 7) & 0xff;
  return p;
}

function general(p: PublishPacket): string {
  const out = new Uint8Array(encodedLength(p));
  encode(p, out, 0);
  return toHex(out);
}

function connected(maxIncomingPacketSize?: number) {
  const sent: string[] = [];
  const acked: number[] = [];
  const session = new Session({ clientId: 'c', keepAlive: 0, ackTimeoutMs: 0, maxIncomingPacketSize }, { onSend: (b) => sent.push(toHex(b)), onPublishAcked: (id) => acked.push(id) });
  session.connect({ username: 'u' }, 0);
  session.receive(new Uint8Array([0x20, 2, 0, 0]), 0);
  sent.length = 0;
  return { session, sent, acked };
}

export const suite: Suite = {
  name: 'mqtt-publish-path',
  cases: [
    {
      name: 'encodePublishAround writes the same bytes as encode() (ASCII and non-ASCII topics, QoS 0/1/2, DUP, retain, 1- and 2-byte remaining lengths)',
      run(t) {
        const out: Json[] = [];
        for (const topic of TOPICS) {
          const bytes = encodeUtf8(topic);
          for (const size of [0, 76, 200]) {
            for (const qos of [0, 1, 2] as QoS[]) {
              const p: PublishPacket = { type: PacketType.PUBLISH, topic, payload: payloadOf(size), qos, retain: size === 76, dup: qos === 2, packetId: qos === 0 ? undefined : 300 + size };
              const b = new Uint8Array(PUBLISH_TOPIC_AT + bytes.length + 2 + size);
              b.set(bytes, PUBLISH_TOPIC_AT);
              const start = encodePublishAround(p, bytes.length, b, PUBLISH_TOPIC_AT);
              const length = publishLength(bytes.length, qos, size);
              t.equal(length, encodedLength(p), `${topic} ${size} ${qos} length`);
              const hex = toHex(b.subarray(start, start + length));
              t.equal(hex, general(p), `${topic} ${size} ${qos}`);
              out.push(hex.length);
            }
          }
        }
        t.throws(() => encodePublishAround({ type: PacketType.PUBLISH, topic: 'a', payload: payloadOf(1), qos: 1, retain: false, dup: false, packetId: 0 }, 1, new Uint8Array(20), PUBLISH_TOPIC_AT), /packet id/);
        return out;
      },
    },
    {
      name: 'TopicCache: the UTF-8 bytes of valid topic names (either string representation), undefined for invalid ones, correct after eviction',
      run(t) {
        const cache = new TopicCache(2);
        const out: Json[] = [];
        for (let round = 0; round < 3; round++) {
          for (const topic of TOPICS) {
            const bytes = cache.bytes(topic);
            t.ok(bytes !== undefined, topic);
            t.equal(toHex(bytes as Uint8Array), toHex(encodeUtf8(topic)), topic);
            out.push((bytes as Uint8Array).length);
          }
        }
        for (const bad of ['', 'a/+', 'a/#', 'a\u0000b', 'lone\ud800']) t.equal(cache.bytes(bad), undefined, JSON.stringify(bad));
        t.equal(toHex(cache.bytes('a') as Uint8Array), '61');
        return out;
      },
    },
    {
      name: 'Session: QoS 1 PUBLISHes through the topic cache equal encode() bytes, alternating topics and with other packets in between; a PUBACK chunk acknowledges',
      run(t) {
        const { session, sent, acked } = connected();
        const out: Json[] = [];
        for (let i = 0; i < 12; i++) {
          const topic = TOPICS[i % 3 === 2 ? 2 : i % 2];
          const payload = payloadOf(10 + i * 20);
          const id = session.publish(topic, payload, { qos: 1, retain: i === 5 }, i);
          t.ok(id > 0, `id ${id}`);
          t.equal(sent[sent.length - 1], general({ type: PacketType.PUBLISH, topic, payload, qos: 1, retain: i === 5, dup: false, packetId: id }), `message ${i}`);
          if (i % 4 === 3) session.subscribe([{ topicFilter: 'x/#', qos: 1 }], i); // writes over the buffer
          session.receive(new Uint8Array([0x40, 2, id >> 8, id & 0xff]), i);
          out.push(id);
        }
        t.equal(acked.join(), out.join());
        t.equal(session.inflightCount, 0);
        // Unknown id: ignored like the decoder's path; id 0 goes to the decoder, which refuses it.
        session.receive(new Uint8Array([0x40, 2, 0x7f, 0x7f]), 20);
        t.equal(session.state, 'connected');
        return out;
      },
    },
    {
      name: 'Session: PUBACK-shaped bytes inside an oversized PUBLISH being skipped are payload, not an acknowledgement',
      run(t) {
        const { session, acked } = connected(64);
        const id = session.publish('t', payloadOf(5), { qos: 1 }, 0);
        // An inbound QoS 0 PUBLISH of 200 bytes (over the 64-byte limit): header, topic 'x', then payload.
        session.receive(new Uint8Array([0x30, 200, 1, 0x00, 0x01, 0x78]), 1);
        session.receive(new Uint8Array([0x40, 2, id >> 8, id & 0xff]), 2);
        t.equal(acked.length, 0, 'skipped payload acknowledged a message');
        const rest = new Uint8Array(200 - 3 - 4);
        session.receive(rest, 3);
        session.receive(new Uint8Array([0x40, 2, id >> 8, id & 0xff]), 4);
        t.equal(acked.join(), String(id));
        return acked;
      },
    },
    {
      name: 'Session QoS 1 hot path: remaining lengths of 1, 2 and 3 bytes, retain, sent before the connection and resent after, out-of-order and QoS 2 ids, invalid topic and too-large messages refused with the reason',
      run(t) {
        const errors: string[] = [];
        const sent: string[] = [];
        const acked: number[] = [];
        const session = new Session({ clientId: 'c', keepAlive: 0, ackTimeoutMs: 0, maxPacketSize: 20_000 }, { onSend: (b) => sent.push(toHex(b)), onPublishAcked: (id) => acked.push(id), onError: (e) => errors.push(e.code) });
        const topic = TOPICS[1];
        // Published while disconnected: numbered, sent (not DUP: never sent) once connected.
        const early = session.publish(topic, payloadOf(3), { qos: 1 }, 0);
        t.equal(sent.length, 0);
        session.connect({ username: 'u' }, 0);
        session.receive(new Uint8Array([0x20, 2, 0, 0]), 0);
        t.equal(sent[sent.length - 1], general({ type: PacketType.PUBLISH, topic, payload: payloadOf(3), qos: 1, retain: false, dup: false, packetId: early }));
        session.receive(new Uint8Array([0x40, 2, early >> 8, early & 0xff]), 1);
        const out: Json[] = [];
        for (const size of [0, 47, 48, 16_300, 16_310, 3]) {
          const retain = size === 48;
          const first = sent.length;
          const id = session.publish(topic, payloadOf(size), { qos: 1, retain }, 2);
          // A payload over the threshold comes as a second onSend call, after the header.
          t.equal(sent.length - first, size > SPLIT_PAYLOAD_BYTES ? 2 : 1, `size ${size}: onSend calls`);
          const wire = sent.slice(first).join('');
          t.equal(wire, general({ type: PacketType.PUBLISH, topic, payload: payloadOf(size), qos: 1, retain, dup: false, packetId: id }), `size ${size}`);
          session.receive(new Uint8Array([0x40, 2, id >> 8, id & 0xff]), 3);
          out.push(wire.length);
        }
        // Two in flight, acknowledged newest first; a PUBACK for a QoS 2 message's id is not its acknowledgement.
        const a = session.publish(topic, payloadOf(5), { qos: 1 }, 4);
        const b = session.publish(topic, payloadOf(6), { qos: 1 }, 4);
        const q2 = session.publish(topic, payloadOf(7), { qos: 2 }, 4);
        session.receive(new Uint8Array([0x40, 2, b >> 8, b & 0xff]), 5);
        session.receive(new Uint8Array([0x40, 2, q2 >> 8, q2 & 0xff]), 5);
        session.receive(new Uint8Array([0x40, 2, a >> 8, a & 0xff]), 5);
        t.equal(acked.slice(-2).join(), `${b},${a}`);
        t.equal(session.inflightCount, 1, 'the QoS 2 message is still in flight');
        // Refused with the codec's reason; nothing sent, nothing held.
        const before = sent.length;
        t.equal(session.publish('a/+', payloadOf(1), { qos: 1 }, 6), PUBLISH_INVALID);
        t.equal(session.publish(topic, payloadOf(20_000), { qos: 1 }, 6), PUBLISH_INVALID);
        t.equal(errors.join(), 'WILDCARD_IN_TOPIC,PACKET_TOO_LARGE');
        t.equal(sent.length, before);
        t.equal(session.inflightCount, 1);
        // After a reconnect the unacknowledged QoS 2 message goes again with DUP, then the hot path resumes.
        session.connectionLost('test', 7);
        session.connect({ username: 'u' }, 8);
        session.receive(new Uint8Array([0x20, 2, 1, 0]), 8);
        t.equal(sent[sent.length - 1], general({ type: PacketType.PUBLISH, topic, payload: payloadOf(7), qos: 2, retain: false, dup: true, packetId: q2 }));
        const c = session.publish(topic, payloadOf(9), { qos: 1 }, 9);
        t.equal(sent[sent.length - 1], general({ type: PacketType.PUBLISH, topic, payload: payloadOf(9), qos: 1, retain: false, dup: false, packetId: c }));
        session.receive(new Uint8Array([0x40, 2, c >> 8, c & 0xff]), 9);
        t.equal(acked[acked.length - 1], c);
        return out;
      },
    },
  ],
};
