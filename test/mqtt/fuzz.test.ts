/**
 * Fuzzing the decoder (3.1.1 and 5.0) and the session with 100,000 mutated inputs each (test/mqtt/fuzz-corpus.ts):
 * no exception may escape, every accepted packet must be one the encoder accepts and round-trips,
 * a broad set of named errors must be reached, and the decoder must stay usable after reset().
 * Loops are bounded by the corpus size; vitest's timeout catches a hang.
 */
import { describe, expect, it } from 'vitest';
import { encode, encodedLength, validatePacket } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import { PacketType, type Packet, type ProtocolErrorCode, type ProtocolVersion } from '../../src/mqtt/packets';
import { Session } from '../../src/mqtt/session';
import { canon } from './codec-vectors.suite';
import { chunkings, encodePacket, fuzzPackets, rng32 } from './fuzz-corpus';

const COUNT = 100_000;

function roundTrip(p: Packet, version: ProtocolVersion = 4): Packet[] {
  const out = new Uint8Array(encodedLength(p, version));
  encode(p, out, 0, version);
  const got: Packet[] = [];
  const d = new Decoder({ protocolVersion: version, onPacket: (x) => got.push(x), onError: (e) => got.push({ type: -1, e } as unknown as Packet) });
  d.push(out);
  return got;
}

describe('mqtt fuzz', () => {
  it(`decoder: ${COUNT} mutated inputs, arbitrary chunking, no escaped exception, accepted packets are valid`, () => {
    const rng = rng32(7);
    const errors = new Map<ProtocolErrorCode, number>();
    const accepted = new Map<PacketType, number>();
    let packets: { packet: Packet; version: ProtocolVersion }[] = [];
    const decoder = new Decoder({ maxPacketSize: 4096 });
    decoder.onPacket = (packet) => packets.push({ packet, version: decoder.protocolVersion });
    let inputs = 0;
    for (const input of fuzzPackets(COUNT, 20261122)) {
      inputs++;
      packets = [];
      for (const chunk of chunkings(input, rng)) decoder.push(chunk);
      expect(decoder.buffered).toBeLessThanOrEqual(4096);
      for (const { packet: p, version } of packets) {
        if (version === 4) accepted.set(p.type, (accepted.get(p.type) ?? 0) + 1);
        // Anything the decoder accepts is a valid packet that round-trips (an empty client id
        // without clean session is the broker's call: CONNACK 2, so the decoder lets it through).
        // A mutated CONNECT may say level 5: the decoder then reads 5.0, as a broker would.
        const emptyClientId = p.type === PacketType.CONNECT && p.clientId === '' && !p.cleanSession;
        if (!emptyClientId) {
          expect(validatePacket(p, version)).toBeUndefined();
          expect(roundTrip(p, version).map(canon)).toEqual([canon(p)]);
        }
      }
      if (decoder.error) {
        errors.set(decoder.error.code, (errors.get(decoder.error.code) ?? 0) + 1);
        decoder.reset();
        decoder.protocolVersion = 4;
      } else if (rng() < 0.5) {
        decoder.reset(); // start the next input clean half the time; otherwise leftovers carry over
        decoder.protocolVersion = 4;
      }
    }
    expect(inputs).toBe(COUNT);
    // Sanity of the corpus itself: both paths are exercised broadly.
    const errorCodes = [...errors.keys()].sort();
    // Every error the decoder can report was reached.
    expect(errorCodes).toEqual(
      [
        'BAD_LENGTH', 'BAD_PROTOCOL', 'BAD_PROTOCOL_LEVEL', 'CONNACK_INVALID_RETURN_CODE', 'EMPTY_TOPIC', 'INVALID_CONNECT_FLAGS',
        'INVALID_QOS', 'INVALID_SUBACK_CODE', 'INVALID_TOPIC_FILTER', 'INVALID_UTF8', 'NO_SUBSCRIPTIONS', 'NULL_CHARACTER',
        'PACKET_ID_ZERO', 'PACKET_TOO_LARGE', 'REMAINING_LENGTH_TOO_LONG', 'RESERVED_FLAGS', 'UNKNOWN_PACKET_TYPE', 'WILDCARD_IN_TOPIC',
      ].sort(),
    );
    expect(accepted.size).toBe(14);
    const total = [...errors.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(COUNT / 3);
    console.log(`decoder fuzz: ${total} errors over ${errorCodes.length} codes; accepted ${[...accepted.values()].reduce((a, b) => a + b, 0)} packets`);
  });

  it(`decoder, MQTT 5.0: ${COUNT} mutated 5.0 inputs, arbitrary chunking, no escaped exception, accepted packets are valid`, () => {
    const rng = rng32(5);
    const errors = new Map<ProtocolErrorCode, number>();
    const accepted = new Map<PacketType, number>();
    let packets: { packet: Packet; version: ProtocolVersion }[] = [];
    const decoder = new Decoder({ maxPacketSize: 4096, protocolVersion: 5 });
    decoder.onPacket = (packet) => packets.push({ packet, version: decoder.protocolVersion });
    let inputs = 0;
    for (const input of fuzzPackets(COUNT, 20261201, 5)) {
      inputs++;
      packets = [];
      for (const chunk of chunkings(input, rng)) decoder.push(chunk);
      expect(decoder.buffered).toBeLessThanOrEqual(4096);
      for (const { packet: p, version } of packets) {
        if (version === 5) accepted.set(p.type, (accepted.get(p.type) ?? 0) + 1);
        // A mutated CONNECT may say level 4: the decoder then reads 3.1.1, as a broker would.
        const emptyClientId = p.type === PacketType.CONNECT && version === 4 && p.clientId === '' && !p.cleanSession;
        if (!emptyClientId) {
          expect(validatePacket(p, version)).toBeUndefined();
          expect(roundTrip(p, version).map(canon)).toEqual([canon(p)]);
        }
      }
      if (decoder.error) {
        errors.set(decoder.error.code, (errors.get(decoder.error.code) ?? 0) + 1);
        decoder.reset();
        decoder.protocolVersion = 5;
      } else if (rng() < 0.5) {
        decoder.reset();
        decoder.protocolVersion = 5;
      }
    }
    expect(inputs).toBe(COUNT);
    const errorCodes = [...errors.keys()].sort();
    // The 5.0 checks are all reached, besides the 3.1.1 ones the same fixed header shares.
    for (const code of [
      'MALFORMED_PROPERTY', 'UNKNOWN_PROPERTY', 'DUPLICATE_PROPERTY', 'PROPERTY_NOT_ALLOWED', 'INVALID_PROPERTY', 'INVALID_REASON_CODE',
      'TOPIC_ALIAS_INVALID', 'EMPTY_TOPIC', 'BAD_LENGTH', 'RESERVED_FLAGS', 'INVALID_UTF8', 'INVALID_QOS', 'PACKET_TOO_LARGE', 'INVALID_FIELD',
    ] as ProtocolErrorCode[]) {
      expect(errorCodes, code).toContain(code);
    }
    expect(accepted.size).toBe(15); // every 5.0 packet type, AUTH included
    const total = [...errors.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(COUNT / 3);
    console.log(`decoder 5.0 fuzz: ${total} errors over ${errorCodes.length} codes (${errorCodes.join(', ')}); accepted ${[...accepted.values()].reduce((a, b) => a + b, 0)} packets`);
  });

  it('decoder: the same corpus is deterministic for a seed', () => {
    const a = [...fuzzPackets(200, 99)].map((b) => Array.from(b).join(','));
    const b = [...fuzzPackets(200, 99)].map((b) => Array.from(b).join(','));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(150);
  });

  it(`session, MQTT 5.0: ${COUNT} mutated 5.0 inputs from the broker side, no escaped exception, the session keeps working`, () => {
    const rng = rng32(13);
    let sent = 0;
    let closes = 0;
    let messages = 0;
    let serverDisconnects = 0;
    const session = new Session(
      { clientId: 'd1', keepAlive: 60, cleanSession: false, protocolVersion: 5, sessionExpiryInterval: 60, receiveMaximum: 5, topicAliasMaximum: 5 },
      {
        onSend: (bytes) => {
          sent += bytes.length;
        },
        onMessage: () => {
          messages++;
        },
        onClose: (reason) => {
          closes++;
          if (reason.code === 'SERVER_DISCONNECT') serverDisconnects++;
        },
      },
    );
    const connack = encodePacket({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0, properties: { topicAliasMaximum: 3, receiveMaximum: 4 } }, 5);
    const payload = new Uint8Array(16);
    let now = 0;
    let inputs = 0;
    const reopen = () => {
      session.connect({ username: 'u', password: payload }, now);
      if (rng() < 0.8) session.receive(connack, now);
    };
    reopen();
    for (const input of fuzzPackets(COUNT, 515151, 5)) {
      inputs++;
      now += 1 + Math.floor(rng() * 500);
      if (session.state === 'disconnected') reopen();
      const r = rng();
      if (r < 0.05) session.publish('devices/d1/telemetry', payload, { qos: 1, properties: { contentType: 'application/json' } }, now);
      else if (r < 0.07) session.subscribe([{ topicFilter: 'devices/d1/commands/#', qos: 1, noLocal: true }], now, 3);
      else if (r < 0.08) session.publish('devices/d1/telemetry', payload, { qos: 2 }, now);
      for (const chunk of chunkings(input, rng)) session.receive(chunk, now);
      session.tick(now);
    }
    expect(inputs).toBe(COUNT);
    expect(closes).toBeGreaterThan(1000);
    expect(serverDisconnects).toBeGreaterThan(10);
    expect(sent).toBeGreaterThan(COUNT);
    expect(messages).toBeGreaterThan(100);
    session.connect({}, now);
    session.receive(connack, now);
    expect(session.state).toBe('connected');
  });

  it(`session: ${COUNT} mutated inputs from the broker side, no escaped exception, the session keeps working`, () => {
    const rng = rng32(11);
    let sent = 0;
    let closes = 0;
    let messages = 0;
    const session = new Session(
      { clientId: 'd1', keepAlive: 60, cleanSession: false },
      {
        onSend: (bytes) => {
          sent += bytes.length;
        },
        onMessage: () => {
          messages++;
        },
        onClose: () => {
          closes++;
        },
      },
    );
    const connack = encodePacket({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0 });
    const payload = new Uint8Array(16);
    let now = 0;
    let inputs = 0;
    const reopen = () => {
      session.connect({ username: 'u', password: payload }, now);
      if (rng() < 0.8) session.receive(connack, now);
    };
    reopen();
    for (const input of fuzzPackets(COUNT, 424242)) {
      inputs++;
      now += 1 + Math.floor(rng() * 500);
      if (session.state === 'disconnected') reopen();
      const r = rng();
      if (r < 0.05) session.publish('devices/d1/messages/events/', payload, { qos: 1 }, now);
      else if (r < 0.07) session.subscribe([{ topicFilter: 'devices/d1/messages/devicebound/#', qos: 1 }], now);
      else if (r < 0.08) session.publish('devices/d1/messages/events/', payload, { qos: 2 }, now);
      for (const chunk of chunkings(input, rng)) session.receive(chunk, now);
      session.tick(now);
    }
    expect(inputs).toBe(COUNT);
    // It must have been driven through real work, not stuck disconnected.
    expect(closes).toBeGreaterThan(1000);
    expect(sent).toBeGreaterThan(COUNT);
    expect(messages).toBeGreaterThan(100);
    // And still work normally afterwards.
    let opened = false;
    const fresh = new Session({ clientId: 'd1' }, { onSend: () => {}, onConnected: () => (opened = true) });
    fresh.connect({}, now);
    fresh.receive(connack, now);
    expect(opened).toBe(true);
    session.connect({}, now);
    session.receive(connack, now);
    expect(session.state).toBe('connected');
  });
});
