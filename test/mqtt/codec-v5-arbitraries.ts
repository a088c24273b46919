/**
 * fast-check arbitraries for valid MQTT 5.0 packets (in the shape the decoder yields), and the
 * mapping to and from mqtt-packet's objects with protocolVersion 5.
 */
import fc from 'fast-check';
import type * as mqtt from 'mqtt-packet';
import { PacketType, type ConnectPacket, type Packet, type Properties, type QoS, type SubackCode, type UserProperty, type Will } from '../../src/mqtt/packets';
import { mqttString, topicFilter, topicName } from './codec-arbitraries';

const qos = fc.constantFrom<QoS>(0, 1, 2);
const packetId = fc.integer({ min: 1, max: 65535 });
const str = mqttString(12);
const bin = fc.uint8Array({ maxLength: 20 });
const u16 = fc.integer({ min: 0, max: 65535 });
const u16nz = fc.integer({ min: 1, max: 65535 });
const u32 = fc.tuple(fc.nat(0xffff), fc.nat(0xffff)).map(([hi, lo]) => hi * 65536 + lo);
const u32nz = u32.filter((n) => n > 0);
const subscriptionId = fc.oneof(fc.integer({ min: 1, max: 127 }), fc.integer({ min: 1, max: 268_435_455 }));

/**
 * User properties with names grouped (a name's values next to each other), so mqtt-packet's
 * object form ({name: value | value[]}) writes them in the same order; names that are array
 * indices would be reordered by a JavaScript object, so there are none. Values are not empty:
 * mqtt-packet's parser overwrites a repeated name whose first value is '' (it tests truthiness);
 * empty values are covered by the suite's vectors and the fuzz corpus instead.
 */
const userProperties: fc.Arbitrary<UserProperty[]> = fc
  .uniqueArray(
    str.filter((n) => !/^(0|[1-9]\d*)$/.test(n) && n !== '__proto__'),
    { minLength: 1, maxLength: 3 },
  )
  .chain((names) => fc.tuple(...names.map((n) => fc.array(mqttString(12).filter((v) => v.length > 0), { minLength: 1, maxLength: 2 }).map((vs) => vs.map((v): UserProperty => [n, v])))))
  .map((groups) => groups.flat());

type Model = { [K in keyof Properties]?: fc.Arbitrary<Properties[K]> };

/** Properties of the given model, or undefined for none (an empty section decodes as absent). */
function properties(model: Model): fc.Arbitrary<Properties | undefined> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 3,
      arbitrary: fc
        .record(model as { [k: string]: fc.Arbitrary<unknown> }, { requiredKeys: [] })
        .map((p) => (Object.keys(p).length === 0 ? undefined : (p as Properties))),
    },
  );
}

const CONNECT_PROPS: Model = {
  sessionExpiryInterval: u32,
  receiveMaximum: u16nz,
  maximumPacketSize: u32nz,
  topicAliasMaximum: u16,
  requestResponseInformation: fc.boolean(),
  requestProblemInformation: fc.boolean(),
  userProperties,
  authenticationMethod: str,
  authenticationData: bin,
};
const WILL_PROPS: Model = {
  willDelayInterval: u32,
  payloadFormatIndicator: fc.boolean(),
  messageExpiryInterval: u32,
  contentType: str,
  responseTopic: topicName,
  correlationData: bin,
  userProperties,
};
const CONNACK_PROPS: Model = {
  sessionExpiryInterval: u32,
  receiveMaximum: u16nz,
  maximumQoS: fc.constantFrom(0, 1),
  retainAvailable: fc.boolean(),
  maximumPacketSize: u32nz,
  assignedClientIdentifier: str,
  topicAliasMaximum: u16,
  reasonString: str,
  userProperties,
  wildcardSubscriptionAvailable: fc.boolean(),
  subscriptionIdentifiersAvailable: fc.boolean(),
  sharedSubscriptionAvailable: fc.boolean(),
  serverKeepAlive: u16,
  responseInformation: str,
  serverReference: str,
  authenticationMethod: str,
  authenticationData: bin,
};
const PUBLISH_PROPS: Model = {
  payloadFormatIndicator: fc.boolean(),
  messageExpiryInterval: u32,
  contentType: str,
  responseTopic: topicName,
  correlationData: bin,
  subscriptionIdentifier: fc.oneof(subscriptionId, fc.array(subscriptionId, { minLength: 2, maxLength: 3 })),
  topicAlias: u16nz,
  userProperties,
};
const ACK_PROPS: Model = { reasonString: str, userProperties };
const DISCONNECT_PROPS: Model = { sessionExpiryInterval: u32, reasonString: str, userProperties, serverReference: str };
const AUTH_PROPS: Model = { authenticationMethod: str, authenticationData: bin, reasonString: str, userProperties };

function withProps<P>(p: P, props: Properties | undefined): P {
  if (props !== undefined) (p as { properties?: Properties }).properties = props;
  return p;
}

export const connect5: fc.Arbitrary<Packet> = fc
  .record(
    {
      clientId: mqttString(23),
      cleanSession: fc.boolean(),
      keepAlive: u16,
      will: fc.record({ topic: topicName, payload: bin, qos, retain: fc.boolean(), properties: properties(WILL_PROPS) }),
      username: mqttString(30),
      password: bin,
      properties: properties(CONNECT_PROPS),
    },
    { requiredKeys: ['clientId', 'cleanSession', 'keepAlive', 'properties'] },
  )
  .map((c) => {
    const p = withProps<ConnectPacket>({ type: PacketType.CONNECT, protocolVersion: 5, clientId: c.clientId, cleanSession: c.cleanSession, keepAlive: c.keepAlive }, c.properties);
    if (c.will) p.will = withProps<Will>({ topic: c.will.topic, payload: c.will.payload, qos: c.will.qos, retain: c.will.retain }, c.will.properties);
    if (c.username !== undefined) p.username = c.username;
    if (c.password !== undefined) p.password = c.password; // 5.0 allows a password without a user name
    return p;
  });

export const publish5: fc.Arbitrary<Packet> = fc
  .record({ topic: topicName, payload: fc.uint8Array({ maxLength: 200 }), qos, retain: fc.boolean(), dup: fc.boolean(), packetId, properties: properties(PUBLISH_PROPS), aliasOnly: fc.boolean() })
  .map(({ topic, payload, qos, retain, dup, packetId, properties, aliasOnly }) => {
    // With a Topic Alias the topic may be empty.
    const t = aliasOnly && properties?.topicAlias !== undefined ? '' : topic;
    const p: Packet = qos === 0 ? { type: PacketType.PUBLISH, topic: t, payload, qos, retain, dup: false } : { type: PacketType.PUBLISH, topic: t, payload, qos, retain, dup, packetId };
    return withProps(p, properties);
  });

type AckType = typeof PacketType.PUBACK | typeof PacketType.PUBREC | typeof PacketType.PUBREL | typeof PacketType.PUBCOMP;
const ackCodes: Record<AckType, number[]> = {
  [PacketType.PUBACK]: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  [PacketType.PUBREC]: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  [PacketType.PUBREL]: [0x00, 0x92],
  [PacketType.PUBCOMP]: [0x00, 0x92],
};
const ack5 = (type: AckType): fc.Arbitrary<Packet> =>
  fc.record({ packetId, reasonCode: fc.constantFrom(...ackCodes[type]), props: properties(ACK_PROPS) }).map(({ packetId, reasonCode, props }) => withProps({ type, packetId, reasonCode } as Packet, props));

const CONNACK_CODES = [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f];
const SUBACK_CODES: SubackCode[] = [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2];
const UNSUBACK_CODES = [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91];
const DISCONNECT_CODES = [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2];

const subscription5 = fc
  .record({ topicFilter, qos, noLocal: fc.boolean(), retainAsPublished: fc.boolean(), retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2) });

export const anyPacket5: fc.Arbitrary<Packet> = fc.oneof(
  connect5,
  fc
    .record({ sessionPresent: fc.boolean(), returnCode: fc.constantFrom(...CONNACK_CODES), props: properties(CONNACK_PROPS) })
    .map(({ sessionPresent, returnCode, props }) => withProps({ type: PacketType.CONNACK, sessionPresent: returnCode === 0 && sessionPresent, returnCode } as Packet, props)),
  { weight: 4, arbitrary: publish5 },
  ack5(PacketType.PUBACK),
  ack5(PacketType.PUBREC),
  ack5(PacketType.PUBREL),
  ack5(PacketType.PUBCOMP),
  fc
    .record({ packetId, subscriptions: fc.array(subscription5, { minLength: 1, maxLength: 4 }), props: properties({ subscriptionIdentifier: subscriptionId, userProperties }) })
    .map(({ packetId, subscriptions, props }) => withProps({ type: PacketType.SUBSCRIBE, packetId, subscriptions } as Packet, props)),
  fc
    .record({ packetId, granted: fc.array(fc.constantFrom(...SUBACK_CODES), { minLength: 1, maxLength: 4 }), props: properties(ACK_PROPS) })
    .map(({ packetId, granted, props }) => withProps({ type: PacketType.SUBACK, packetId, granted } as Packet, props)),
  fc
    .record({ packetId, topicFilters: fc.array(topicFilter, { minLength: 1, maxLength: 4 }), props: properties({ userProperties }) })
    .map(({ packetId, topicFilters, props }) => withProps({ type: PacketType.UNSUBSCRIBE, packetId, topicFilters } as Packet, props)),
  fc
    .record({ packetId, reasonCodes: fc.array(fc.constantFrom(...UNSUBACK_CODES), { minLength: 1, maxLength: 4 }), props: properties(ACK_PROPS) })
    .map(({ packetId, reasonCodes, props }) => withProps({ type: PacketType.UNSUBACK, packetId, reasonCodes } as Packet, props)),
  fc.constantFrom<Packet>({ type: PacketType.PINGREQ }, { type: PacketType.PINGRESP }),
  fc
    .record({ reasonCode: fc.constantFrom(...DISCONNECT_CODES), props: properties(DISCONNECT_PROPS) })
    .map(({ reasonCode, props }) => withProps({ type: PacketType.DISCONNECT, reasonCode } as Packet, props)),
  fc
    .record({ reasonCode: fc.constantFrom(0x00, 0x18, 0x19), props: properties(AUTH_PROPS) })
    .map(({ reasonCode, props }) => withProps({ type: PacketType.AUTH, reasonCode } as Packet, props)),
);

// ---- mqtt-packet (protocolVersion 5) ------------------------------------------------------------

const CMD: Record<number, mqtt.PacketCmd> = {
  1: 'connect', 2: 'connack', 3: 'publish', 4: 'puback', 5: 'pubrec', 6: 'pubrel', 7: 'pubcomp',
  8: 'subscribe', 9: 'suback', 10: 'unsubscribe', 11: 'unsuback', 12: 'pingreq', 13: 'pingresp', 14: 'disconnect', 15: 'auth',
};
const TYPE: Record<string, number> = Object.fromEntries(Object.entries(CMD).map(([k, v]) => [v, Number(k)]));

type MqttProps = Record<string, unknown>;


/** Ours -> mqtt-packet's: the same names; Uint8Array -> Buffer; user properties as an object (grouped). */
function toMqttProps(p: Properties | undefined): MqttProps | undefined {
  if (p === undefined) return undefined;
  const out: MqttProps = {};
  // In the object's key order: the order both encoders write properties in.
  for (const [k, v] of Object.entries(p)) {
    if (k === 'userProperties') {
      const obj: Record<string, string | string[]> = Object.create(null);
      for (const [name, value] of v as UserProperty[]) {
        const prev = obj[name];
        obj[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
      out[k] = obj;
    } else out[k] = v instanceof Uint8Array ? Buffer.from(v) : v;
  }
  return out;
}

function fromMqttProps(p: MqttProps | undefined): Properties | undefined {
  if (p === undefined || Object.keys(p).length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === 'userProperties') {
      const list: UserProperty[] = [];
      for (const [name, value] of Object.entries(v as Record<string, string | string[]>)) {
        for (const x of Array.isArray(value) ? value : [value]) list.push([name, x]);
      }
      out[k] = list;
    } else out[k] = Buffer.isBuffer(v) ? new Uint8Array(v) : v;
  }
  return out as Properties;
}

/** Our packet in mqtt-packet's form (properties in the same key order, so the bytes agree). */
export function toMqttPacket5(p: Packet): mqtt.Packet {
  const o = (x: Record<string, unknown>): mqtt.Packet => {
    const props = toMqttProps((p as { properties?: Properties }).properties);
    if (props !== undefined) x.properties = props;
    return x as unknown as mqtt.Packet;
  };
  switch (p.type) {
    case PacketType.CONNECT: {
      const out: Record<string, unknown> = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: p.cleanSession, clientId: p.clientId, keepalive: p.keepAlive };
      if (p.will) {
        out.will = { topic: p.will.topic, payload: Buffer.from(p.will.payload), qos: p.will.qos, retain: p.will.retain };
        const wp = toMqttProps(p.will.properties);
        if (wp) (out.will as Record<string, unknown>).properties = wp;
      }
      if (p.username !== undefined) out.username = p.username;
      if (p.password !== undefined) out.password = Buffer.from(p.password);
      return o(out);
    }
    case PacketType.CONNACK:
      return o({ cmd: 'connack', sessionPresent: p.sessionPresent, reasonCode: p.returnCode });
    case PacketType.PUBLISH:
      return o({ cmd: 'publish', topic: p.topic, payload: Buffer.from(p.payload), qos: p.qos, dup: p.dup, retain: p.retain, messageId: p.packetId });
    case PacketType.SUBSCRIBE:
      return o({ cmd: 'subscribe', messageId: p.packetId, subscriptions: p.subscriptions.map((s) => ({ topic: s.topicFilter, qos: s.qos, nl: s.noLocal, rap: s.retainAsPublished, rh: s.retainHandling })) });
    case PacketType.SUBACK:
      return o({ cmd: 'suback', messageId: p.packetId, granted: p.granted });
    case PacketType.UNSUBSCRIBE:
      return o({ cmd: 'unsubscribe', messageId: p.packetId, unsubscriptions: p.topicFilters });
    case PacketType.UNSUBACK:
      return o({ cmd: 'unsuback', messageId: p.packetId, granted: p.reasonCodes });
    case PacketType.PINGREQ:
    case PacketType.PINGRESP:
      return { cmd: CMD[p.type] } as mqtt.Packet;
    case PacketType.DISCONNECT:
    case PacketType.AUTH:
      return o({ cmd: CMD[p.type], reasonCode: p.reasonCode ?? 0 });
    default:
      return o({ cmd: CMD[p.type], messageId: p.packetId, reasonCode: p.reasonCode ?? 0 });
  }
}

/** mqtt-packet's parsed 5.0 object as our packet (the decoder's shape). */
export function fromMqttPacket5(m: mqtt.Packet): Packet {
  const type = TYPE[m.cmd];
  const x = m as unknown as Record<string, unknown>;
  const props = fromMqttProps(x.properties as MqttProps | undefined);
  const w = <P>(p: P): P => withProps(p, props);
  switch (type) {
    case PacketType.CONNECT: {
      const c = m as mqtt.IConnectPacket;
      const p = w<ConnectPacket>({ type: PacketType.CONNECT, protocolVersion: 5, clientId: c.clientId, cleanSession: c.clean ?? false, keepAlive: c.keepalive ?? 0 });
      if (c.will) {
        p.will = withProps<Will>(
          { topic: c.will.topic, payload: new Uint8Array(c.will.payload as Buffer), qos: c.will.qos as QoS, retain: c.will.retain ?? false },
          fromMqttProps(c.will.properties as MqttProps | undefined),
        );
      }
      if (c.username !== undefined) p.username = c.username;
      if (c.password !== undefined) p.password = new Uint8Array(c.password);
      return p;
    }
    case PacketType.CONNACK:
      return w({ type, sessionPresent: x.sessionPresent as boolean, returnCode: (x.reasonCode ?? 0) as number });
    case PacketType.PUBLISH: {
      const q = m as mqtt.IPublishPacket;
      const base: Packet = { type, topic: q.topic, payload: new Uint8Array(q.payload as Buffer), qos: q.qos, retain: q.retain, dup: q.dup };
      if (q.qos !== 0) base.packetId = q.messageId;
      return w(base);
    }
    case PacketType.SUBSCRIBE:
      return w({
        type,
        packetId: x.messageId as number,
        subscriptions: (m as mqtt.ISubscribePacket).subscriptions.map((s) => ({ topicFilter: s.topic, qos: s.qos, noLocal: s.nl ?? false, retainAsPublished: s.rap ?? false, retainHandling: (s.rh ?? 0) as 0 | 1 | 2 })),
      });
    case PacketType.SUBACK:
      return w({ type, packetId: x.messageId as number, granted: x.granted as SubackCode[] });
    case PacketType.UNSUBSCRIBE:
      return w({ type, packetId: x.messageId as number, topicFilters: x.unsubscriptions as string[] });
    case PacketType.UNSUBACK:
      return w({ type, packetId: x.messageId as number, reasonCodes: x.granted as number[] });
    case PacketType.PINGREQ:
    case PacketType.PINGRESP:
      return { type } as Packet;
    case PacketType.DISCONNECT:
    case PacketType.AUTH:
      return w({ type, reasonCode: (x.reasonCode ?? 0) as number } as Packet);
    default:
      return w({ type, packetId: x.messageId as number, reasonCode: (x.reasonCode ?? 0) as number } as Packet);
  }
}
