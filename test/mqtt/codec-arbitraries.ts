/** fast-check arbitraries for valid MQTT 3.1.1 packets, and the mapping to mqtt-packet's objects. */
import fc from 'fast-check';
import type * as mqtt from 'mqtt-packet';
import { PacketType, type ConnackCode, type Packet, type QoS, type SubackCode } from '../../src/mqtt/packets';

const qos = fc.constantFrom<QoS>(0, 1, 2);
const packetId = fc.integer({ min: 1, max: 65535 });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });

/** Text without U+0000 (forbidden in MQTT strings); any code point otherwise, astral included. */
export const mqttString = (maxLength = 30) =>
  fc.oneof(fc.string({ unit: 'binary', maxLength }), fc.string({ maxLength })).map((s) => s.replace(/\u0000/g, '_'));

const level = fc.oneof(fc.constantFrom('devices', 'd1', 'messages', 'events', '$iothub', ''), mqttString(8)).map((s) => s.replace(/[+#/]/g, '-'));

export const topicName = fc
  .array(level, { minLength: 1, maxLength: 6 })
  .map((levels) => levels.join('/'))
  .filter((t) => t.length > 0);

export const topicFilter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((f) => f.length > 0);

const payload = fc.oneof({ weight: 5, arbitrary: bytes(200) }, { weight: 1, arbitrary: bytes(20_000) });

export const publish: fc.Arbitrary<Packet> = fc
  .record({ topic: topicName, payload, qos, retain: fc.boolean(), dup: fc.boolean(), packetId })
  .map(({ topic, payload, qos, retain, dup, packetId }) =>
    qos === 0
      ? { type: PacketType.PUBLISH, topic, payload, qos, retain, dup: false }
      : { type: PacketType.PUBLISH, topic, payload, qos, retain, dup, packetId },
  );

export const connect: fc.Arbitrary<Packet> = fc
  .record(
    {
      clientId: mqttString(23),
      cleanSession: fc.boolean(),
      keepAlive: fc.integer({ min: 0, max: 65535 }),
      will: fc.record({ topic: topicName, payload: bytes(50), qos, retain: fc.boolean() }),
      username: mqttString(60),
      password: bytes(60),
    },
    { requiredKeys: ['clientId', 'cleanSession', 'keepAlive'] },
  )
  .map((c) => {
    // An empty client id requires a clean session [MQTT-3.1.3-7].
    const p: Packet = { type: PacketType.CONNECT, clientId: c.clientId, cleanSession: c.cleanSession || c.clientId === '', keepAlive: c.keepAlive };
    if (c.will) p.will = c.will;
    if (c.username !== undefined) {
      p.username = c.username;
      if (c.password !== undefined) p.password = c.password;
    }
    return p;
  });

const ack = (type: typeof PacketType.PUBACK | typeof PacketType.PUBREC | typeof PacketType.PUBREL | typeof PacketType.PUBCOMP | typeof PacketType.UNSUBACK) =>
  packetId.map((id) => ({ type, packetId: id }) as Packet);

export const anyPacket: fc.Arbitrary<Packet> = fc.oneof(
  connect,
  fc.record({ sessionPresent: fc.boolean(), returnCode: fc.integer({ min: 0, max: 5 }) }).map((c) => ({ type: PacketType.CONNACK, ...c }) as Packet),
  { weight: 4, arbitrary: publish },
  ack(PacketType.PUBACK),
  ack(PacketType.PUBREC),
  ack(PacketType.PUBREL),
  ack(PacketType.PUBCOMP),
  fc
    .record({ packetId, subscriptions: fc.array(fc.record({ topicFilter, qos }), { minLength: 1, maxLength: 5 }) })
    .map((s) => ({ type: PacketType.SUBSCRIBE, ...s }) as Packet),
  fc
    .record({ packetId, granted: fc.array(fc.constantFrom<SubackCode>(0, 1, 2, 0x80), { minLength: 1, maxLength: 5 }) })
    .map((s) => ({ type: PacketType.SUBACK, ...s }) as Packet),
  fc.record({ packetId, topicFilters: fc.array(topicFilter, { minLength: 1, maxLength: 5 }) }).map((s) => ({ type: PacketType.UNSUBSCRIBE, ...s }) as Packet),
  ack(PacketType.UNSUBACK),
  fc.constantFrom<Packet>({ type: PacketType.PINGREQ }, { type: PacketType.PINGRESP }, { type: PacketType.DISCONNECT }),
);

const CMD: Record<number, mqtt.PacketCmd> = {
  1: 'connect', 2: 'connack', 3: 'publish', 4: 'puback', 5: 'pubrec', 6: 'pubrel', 7: 'pubcomp',
  8: 'subscribe', 9: 'suback', 10: 'unsubscribe', 11: 'unsuback', 12: 'pingreq', 13: 'pingresp', 14: 'disconnect',
};
const TYPE: Record<string, PacketType> = Object.fromEntries(Object.entries(CMD).map(([k, v]) => [v, Number(k) as PacketType]));

/** Our packet as mqtt-packet's generate() wants it. */
export function toMqttPacket(p: Packet): mqtt.Packet {
  switch (p.type) {
    case PacketType.CONNECT: {
      const out: mqtt.IConnectPacket = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: p.cleanSession, clientId: p.clientId, keepalive: p.keepAlive };
      if (p.will) out.will = { topic: p.will.topic, payload: Buffer.from(p.will.payload), qos: p.will.qos, retain: p.will.retain };
      if (p.username !== undefined) out.username = p.username;
      if (p.password !== undefined) out.password = Buffer.from(p.password);
      return out;
    }
    case PacketType.CONNACK:
      return { cmd: 'connack', sessionPresent: p.sessionPresent, returnCode: p.returnCode };
    case PacketType.PUBLISH:
      return { cmd: 'publish', topic: p.topic, payload: Buffer.from(p.payload), qos: p.qos, dup: p.dup, retain: p.retain, messageId: p.packetId };
    case PacketType.SUBSCRIBE:
      return { cmd: 'subscribe', messageId: p.packetId, subscriptions: p.subscriptions.map((s) => ({ topic: s.topicFilter, qos: s.qos })) };
    case PacketType.SUBACK:
      return { cmd: 'suback', messageId: p.packetId, granted: p.granted };
    case PacketType.UNSUBSCRIBE:
      return { cmd: 'unsubscribe', messageId: p.packetId, unsubscriptions: p.topicFilters };
    case PacketType.PINGREQ:
    case PacketType.PINGRESP:
    case PacketType.DISCONNECT:
      return { cmd: CMD[p.type] } as mqtt.Packet;
    case PacketType.AUTH:
      throw new Error('AUTH is MQTT 5.0 only');
    default:
      return { cmd: CMD[p.type], messageId: p.packetId } as mqtt.Packet;
  }
}

/** mqtt-packet's parsed object as our packet. */
export function fromMqttPacket(m: mqtt.Packet): Packet {
  const type = TYPE[m.cmd];
  const any = m as unknown as Record<string, unknown>;
  switch (type) {
    case PacketType.CONNECT: {
      const c = m as mqtt.IConnectPacket;
      const p: Packet = { type, clientId: c.clientId, cleanSession: c.clean ?? false, keepAlive: c.keepalive ?? 0 };
      if (c.will) p.will = { topic: c.will.topic, payload: new Uint8Array(c.will.payload as Buffer), qos: c.will.qos as QoS, retain: c.will.retain ?? false };
      if (c.username !== undefined) p.username = c.username;
      if (c.password !== undefined) p.password = new Uint8Array(c.password);
      return p;
    }
    case PacketType.CONNACK:
      return { type, sessionPresent: (m as mqtt.IConnackPacket).sessionPresent, returnCode: ((m as mqtt.IConnackPacket).returnCode ?? 0) as ConnackCode };
    case PacketType.PUBLISH: {
      const x = m as mqtt.IPublishPacket;
      const base = { type, topic: x.topic, payload: new Uint8Array(x.payload as Buffer), qos: x.qos, retain: x.retain, dup: x.dup };
      return x.qos === 0 ? base : { ...base, packetId: x.messageId as number };
    }
    case PacketType.SUBSCRIBE:
      return { type, packetId: any.messageId as number, subscriptions: (m as mqtt.ISubscribePacket).subscriptions.map((s) => ({ topicFilter: s.topic, qos: s.qos as QoS })) };
    case PacketType.SUBACK:
      return { type, packetId: any.messageId as number, granted: (m as mqtt.ISubackPacket).granted as SubackCode[] };
    case PacketType.UNSUBSCRIBE:
      return { type, packetId: any.messageId as number, topicFilters: (m as mqtt.IUnsubscribePacket).unsubscriptions };
    case PacketType.PINGREQ:
    case PacketType.PINGRESP:
    case PacketType.DISCONNECT:
      return { type } as Packet;
    default:
      return { type, packetId: any.messageId as number } as Packet;
  }
}
