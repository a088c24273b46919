/**
 * The MQTT 5.0 client against a real mosquitto, for what test/mqtt/mosquitto-v5.test.ts does not
 * cover: every packet type both ways through our codec, reason codes on every acknowledgement
 * (0x10 No matching subscribers, 0x11 No subscription existed, 0x87 Not authorized from an ACL)
 * and on the client's DISCONNECT (0x04 Disconnect with Will Message), the client's own Receive
 * Maximum and Maximum Packet Size as the broker honours them, inbound topic aliases, an assigned
 * client identifier reused with its session, message expiry, Retain As Published and Retain Handling 1, and session recovery in 5.0 (a QoS 1 resend
 * with DUP, a PUBREL resend, an inbound QoS 2 redelivery delivered once).
 *
 * One broker: the plain listener (anonymous, no ACL) and an extra listener whose ACL plugin
 * (test/mosquitto/plugins/acl-prefix.c) allows topics under `open/` only. Tests that cut connections go through a Proxy.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Decoder } from '../../src/mqtt/decoder';
import { PacketType, type Packet } from '../../src/mqtt/packets';
import { startMosquitto, type Mosquitto } from '../fixtures/mosquitto';
import { aclPrefixListener } from '../fixtures/mosquitto-plugin';
import { Harness, v5Harnesses, leaveSubscribedSession, Proxy, sleep } from './mosquitto-helpers';

let broker: Mosquitto;
const harnesses = v5Harnesses(() => broker, 'v5f');
const harness = harnesses.make;
const proxies: Proxy[] = [];

beforeAll(async () => {
  broker = await startMosquitto({ extraListener: aclPrefixListener('open/') });
});

afterEach(async () => {
  harnesses.closeAll();
  for (const p of proxies.splice(0)) await p.close();
});

afterAll(async () => {
  await broker?.stop();
});

let serial = 0;
function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++serial}`;
}


async function proxy(): Promise<Proxy> {
  const p = await new Proxy(broker.plainPort).start();
  proxies.push(p);
  return p;
}

/** Decodes what a harness writes (5.0); `onPacket` sees each packet as it goes out. */
function sniff(h: Harness, onPacket?: (p: Packet) => void): Packet[] {
  const sent: Packet[] = [];
  const d = new Decoder({
    protocolVersion: 5,
    maxPacketSize: 1 << 20,
    onPacket: (p) => {
      sent.push(p);
      onPacket?.(p);
    },
  });
  h.network.sniff = (bytes) => d.push(bytes);
  return sent;
}

/**
 * Decodes what a harness receives (5.0), as packets, before its session does. The decoder starts
 * over on each connection (its first chunk is the CONNACK's).
 */
function inbound(h: Harness): Packet[] {
  const received: Packet[] = [];
  let decoder: Decoder | undefined;
  let connection: unknown;
  const session = h.client.session;
  const receive = session.receive.bind(session);
  session.receive = (data, now) => {
    if (connection !== h.network.last) {
      connection = h.network.last;
      decoder = new Decoder({ protocolVersion: 5, maxPacketSize: 1 << 20, onPacket: (p) => received.push({ ...p }) });
    }
    decoder?.push(data);
    receive(data, now);
  };
  return received;
}

/** Polls `condition`, for what the Harness does not record (packets on the wire). */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const text = (s: string) => new TextEncoder().encode(s);
const types = (packets: Packet[]) => [...new Set(packets.map((p) => p.type))].sort((a, b) => a - b);

describe('MQTT 5.0 client against mosquitto: packets, reason codes, limits, expiry, recovery', () => {
  it('every packet type goes out and comes in through our 5.0 codec, with its properties and reason codes', async () => {
    const topic = `every/${uniqueId('t')}`;
    const h = harness({ keepAlive: 1 });
    const out = sniff(h);
    const got = inbound(h);
    await h.connected();
    h.client.subscribe([{ topicFilter: topic, qos: 2 }], 9);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    const props = { userProperties: [['k', 'v']] as [string, string][], contentType: 'text/plain' };
    for (const qos of [0, 1, 2] as const) h.client.publish(topic, text(`q${qos}`), { qos, properties: props });
    await h.until(() => h.messages.length === 3 && h.acked.length === 2, 'three messages back and two acknowledgements');
    h.client.unsubscribe([topic, `${topic}/never`]);
    await waitFor(() => out.some((p) => p.type === PacketType.PINGREQ) && got.some((p) => p.type === PacketType.PINGRESP), 'a ping both ways', 5_000);
    await sleep(100); // the UNSUBACK
    h.client.close(0, { reasonString: 'done here' });
    expect(types(out)).toEqual([
      PacketType.CONNECT, PacketType.PUBLISH, PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP,
      PacketType.SUBSCRIBE, PacketType.UNSUBSCRIBE, PacketType.PINGREQ, PacketType.DISCONNECT,
    ]);
    expect(types(got)).toEqual([
      PacketType.CONNACK, PacketType.PUBLISH, PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP,
      PacketType.SUBACK, PacketType.UNSUBACK, PacketType.PINGRESP,
    ]);
    // Properties went both ways: the messages came back with ours and the subscription identifier.
    expect(h.messages.map((m) => [m.payload.toString(), m.qos, m.properties?.subscriptionIdentifier, m.properties?.contentType, m.properties?.userProperties])).toEqual([
      ['q0', 0, 9, 'text/plain', [['k', 'v']]],
      ['q1', 1, 9, 'text/plain', [['k', 'v']]],
      ['q2', 2, 9, 'text/plain', [['k', 'v']]],
    ]);
    expect(got.find((p) => p.type === PacketType.CONNACK)?.properties).toBeDefined();
    // Reason codes: success on the acknowledgements, 0x11 for the filter that was never subscribed.
    expect(h.acked.map((a) => a.reasonCode)).toEqual([0, 0]);
    const unsuback = got.find((p) => p.type === PacketType.UNSUBACK);
    expect(unsuback?.type === PacketType.UNSUBACK ? unsuback.reasonCodes : undefined).toEqual([0x00, 0x11]);
    const disconnect = out.find((p) => p.type === PacketType.DISCONNECT);
    expect(disconnect).toMatchObject({ reasonCode: 0, properties: { reasonString: 'done here' } });
  });

  it('reason codes on acknowledgements: PUBACK 0x10 No matching subscribers, 0x87 from the ACL on SUBACK, PUBACK and PUBREC, each reaching the application', async () => {
    const h = harness();
    await h.connected();
    const got = inbound(h);
    h.client.publish(`nobody/${uniqueId('t')}`, text('a'), { qos: 1, token: 'q1' });
    h.client.publish(`nobody/${uniqueId('t')}`, text('b'), { qos: 2, token: 'q2' });
    await h.until(() => h.acked.length === 2, 'two acknowledgements');
    // mosquitto 2.0.11 says 0x10 on the PUBACK; on the PUBREC it says 0x00 (it matches subscribers
    // at the PUBREL). A PUBREC 0x10 reaching onPublishAcked is in test/mqtt/session-v5.suite.ts.
    const acks = got.filter((x) => x.type === PacketType.PUBACK || x.type === PacketType.PUBREC || x.type === PacketType.PUBCOMP);
    expect(acks.map((x) => [x.type, 'reasonCode' in x ? x.reasonCode : undefined])).toEqual([
      [PacketType.PUBACK, 0x10],
      [PacketType.PUBREC, 0x00],
      [PacketType.PUBCOMP, 0x00],
    ]);
    expect(h.acked.map((a) => [a.token, a.reasonCode])).toEqual([['q1', 0x10], ['q2', 0x00]]);
    const limited = harness({ port: broker.extraPort });
    await limited.connected();
    limited.client.subscribe([{ topicFilter: `open/${uniqueId('t')}`, qos: 1 }, { topicFilter: 'closed/x', qos: 1 }]);
    await limited.until(() => limited.subacks.length === 1, 'SUBACK');
    expect(limited.subacks[0]).toEqual([1, 0x87]);
    limited.client.publish('closed/x', text('no'), { qos: 1, token: 'refused1' });
    limited.client.publish('closed/y', text('no'), { qos: 2, token: 'refused2' });
    limited.client.publish(`open/${uniqueId('t')}`, text('yes'), { qos: 1, token: 'allowed' });
    await limited.until(() => limited.acked.length === 3, 'three acknowledgements');
    expect(limited.acked.map((a) => [a.token, a.reasonCode])).toEqual([['refused1', 0x87], ['refused2', 0x87], ['allowed', 0x10]]);
    expect(limited.disconnects).toEqual([]);
  });

  it('DISCONNECT 0x04 Disconnect with Will Message: the broker publishes the will; 0x00 discards it', async () => {
    const willTopic = `will/${uniqueId('w')}`;
    const watcher = harness();
    await watcher.connected();
    watcher.client.subscribeTo(willTopic, 1);
    await watcher.until(() => watcher.subacks.length === 1, 'SUBACK');
    const quiet = harness({ will: { topic: willTopic, payload: text('quiet'), qos: 1, retain: false } });
    await quiet.connected();
    quiet.client.close(0x00);
    const loud = harness({ will: { topic: willTopic, payload: text('with will'), qos: 1, retain: false } });
    await loud.connected();
    loud.client.close(0x04);
    await watcher.until(() => watcher.messages.length === 1, 'the will');
    await sleep(300);
    expect(watcher.messages.map((m) => m.payload.toString())).toEqual(['with will']);
  });

  it('our Receive Maximum (3): the broker keeps at most 3 QoS 1 messages unacknowledged towards us; the rest follow after a reconnect', async () => {
    const topic = `rmax/${uniqueId('t')}`;
    const p = await proxy();
    const h = harness({ port: p.port, receiveMaximum: 3, cleanSession: false, sessionExpiryInterval: 60 });
    const out = sniff(h);
    await h.connected();
    const connect = out[0];
    expect(connect.type === PacketType.CONNECT ? connect.properties?.receiveMaximum : undefined).toBe(3);
    h.client.subscribeTo(topic, 1);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    p.blockUp = true; // our PUBACKs never reach the broker
    const pub = harness();
    await pub.connected();
    for (let i = 0; i < 10; i++) pub.client.publish(topic, text(`m${i}`), { qos: 1 });
    await pub.until(() => pub.acked.length === 10, 'the publisher acknowledged');
    await h.until(() => h.messages.length === 3, 'three messages');
    await sleep(500);
    expect(h.messages.map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2']);
    p.cut();
    p.blockUp = false;
    await h.until(() => h.connects.length === 2, 'the reconnection');
    expect(h.connects[1]).toBe(true);
    await h.until(() => new Set(h.messages.map((m) => m.payload.toString())).size === 10, 'all ten');
    // The three unacknowledged ones came again, marked DUP; the other seven once, in order.
    const again = h.messages.slice(3);
    expect(again.filter((m) => m.dup).map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2']);
    expect(again.filter((m) => !m.dup).map((m) => m.payload.toString())).toEqual(['m3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  });

  it('our Maximum Packet Size (1024): the broker never sends us a larger PUBLISH and drops it; smaller ones arrive', async () => {
    const topic = `maxp/${uniqueId('t')}`;
    const h = harness({ maxPacketSize: 1024 });
    const out = sniff(h);
    await h.connected();
    const connect = out[0];
    expect(connect.type === PacketType.CONNECT ? connect.properties?.maximumPacketSize : undefined).toBe(1024);
    h.client.subscribeTo(topic, 1);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    const pub = harness();
    await pub.connected();
    pub.client.publish(topic, new Uint8Array(2000), { qos: 1 });
    pub.client.publish(topic, text('small'), { qos: 1 });
    await h.until(() => h.messages.length === 1, 'the small message');
    await sleep(300);
    expect(h.messages.map((m) => m.payload.toString())).toEqual(['small']);
    expect(h.errors).toEqual([]);
    expect(h.disconnects).toEqual([]);
  });

  it('inbound topic aliases: announced (Topic Alias Maximum 5); mosquitto 2.0.11 sends full topics and never an alias, which we take as they are', async () => {
    // The inbound mapping itself (alias set, alias reused, 0 and out-of-range refused with
    // DISCONNECT 0x94) is checked in test/mqtt/session-v5.suite.ts against a simulated server:
    // this broker version never assigns an alias towards a client.
    const topic = `inalias/${uniqueId('t')}/long-enough-to-be-worth-an-alias`;
    const h = harness({ topicAliasMaximum: 5 });
    const out = sniff(h);
    const got = inbound(h);
    await h.connected();
    const connect = out[0];
    expect(connect.type === PacketType.CONNECT ? connect.properties?.topicAliasMaximum : undefined).toBe(5);
    h.client.subscribeTo(topic, 1);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    const pub = harness();
    await pub.connected();
    for (let i = 0; i < 3; i++) pub.client.publish(topic, text(`a${i}`), { qos: 1 });
    await h.until(() => h.messages.length === 3, 'three messages');
    expect(h.messages.map((m) => m.topic)).toEqual([topic, topic, topic]);
    const publishes = got.filter((p) => p.type === PacketType.PUBLISH);
    expect(publishes.map((p) => (p.type === PacketType.PUBLISH ? [p.topic, p.properties?.topicAlias] : []))).toEqual([
      [topic, undefined],
      [topic, undefined],
      [topic, undefined],
    ]);
  });

  it('assigned client identifier: an empty client id gets one in CONNACK; the next connection uses it and finds its session', async () => {
    const topic = `assigned/${uniqueId('t')}`;
    const h = harness({ clientId: '', cleanSession: false, sessionExpiryInterval: 60 });
    const out = sniff(h);
    await h.connected();
    const assigned = h.connackProperties[0]?.assignedClientIdentifier ?? '';
    expect(assigned).not.toBe('');
    h.client.subscribeTo(topic, 1);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    h.client.reconnect();
    await h.until(() => h.connects.length === 2, 'the second connection');
    const connects = out.filter((p) => p.type === PacketType.CONNECT);
    expect(connects.map((p) => (p.type === PacketType.CONNECT ? p.clientId : undefined))).toEqual(['', assigned]);
    expect(h.connects).toEqual([false, true]); // the session (and its subscription) was found
    expect(h.subacks).toHaveLength(1); // so nothing was resubscribed
    const pub = harness();
    await pub.connected();
    pub.client.publish(topic, text('to the assigned id'), { qos: 1 });
    await h.until(() => h.messages.length === 1, 'the message');
  });

  it('message expiry: a queued message past its Message Expiry Interval is dropped, a live one arrives with the remaining interval', async () => {
    const topic = `mexp/${uniqueId('t')}`;
    const clientId = uniqueId('mexp');
    await leaveSubscribedSession(harness, clientId, topic);
    const pub = harness();
    await pub.connected();
    pub.client.publish(topic, text('short'), { qos: 1, properties: { messageExpiryInterval: 1 } });
    pub.client.publish(topic, text('long'), { qos: 1, properties: { messageExpiryInterval: 100 } });
    pub.client.publish(topic, text('forever'), { qos: 1 });
    await pub.until(() => pub.acked.length === 3, 'PUBACKs');
    await sleep(2_200);
    const b = harness({ clientId, cleanSession: false, sessionExpiryInterval: 60 });
    await b.connected();
    expect(b.connects).toEqual([true]);
    await b.until(() => b.messages.length === 2, 'the two live messages');
    await sleep(300);
    expect(b.messages.map((m) => m.payload.toString())).toEqual(['long', 'forever']);
    const remaining = b.messages[0].properties?.messageExpiryInterval ?? -1;
    expect(remaining).toBeGreaterThanOrEqual(95);
    expect(remaining).toBeLessThanOrEqual(98);
    expect(b.messages[1].properties?.messageExpiryInterval).toBeUndefined();
  });

  it('Retain As Published keeps the RETAIN flag on a live message; without it the flag is cleared. Retain Handling 1 sends retained messages on a new subscription only', async () => {
    const topic = `rap/${uniqueId('t')}`;
    const pub = harness();
    await pub.connected();
    pub.client.publish(topic, text('kept'), { qos: 1, retain: true });
    await pub.until(() => pub.acked.length === 1, 'PUBACK');
    const rap = harness();
    const plain = harness();
    await rap.connected();
    await plain.connected();
    rap.client.subscribe([{ topicFilter: topic, qos: 1, retainAsPublished: true, retainHandling: 1 }]);
    plain.client.subscribe([{ topicFilter: topic, qos: 1 }]);
    await rap.until(() => rap.messages.length === 1, 'the retained message on the new subscription');
    await plain.until(() => plain.messages.length === 1, 'the retained message');
    expect([rap.messages[0].retain, plain.messages[0].retain]).toEqual([true, true]); // retained delivery: always flagged
    // The same subscription again: Retain Handling 1 sends nothing, 0 sends the retained message again.
    rap.client.subscribe([{ topicFilter: topic, qos: 1, retainAsPublished: true, retainHandling: 1 }]);
    plain.client.subscribe([{ topicFilter: topic, qos: 1 }]);
    await plain.until(() => plain.messages.length === 2, 'the retained message again');
    await rap.until(() => rap.subacks.length === 2, 'the second SUBACK');
    pub.client.publish(topic, text('live'), { qos: 1, retain: true });
    await rap.until(() => rap.messages.length === 2, 'the live message');
    await plain.until(() => plain.messages.length === 3, 'the live message');
    expect(rap.messages.map((m) => [m.payload.toString(), m.retain])).toEqual([['kept', true], ['live', true]]);
    expect(plain.messages.map((m) => [m.payload.toString(), m.retain])).toEqual([['kept', true], ['kept', true], ['live', false]]);
    pub.client.publish(topic, new Uint8Array(0), { qos: 1, retain: true }); // clear the retained message
  });

  it('session recovery: a QoS 1 PUBLISH cut off in flight is resent with DUP and the same id after the reconnect', async () => {
    const topic = `rec1/${uniqueId('t')}`;
    const sub = harness();
    await sub.connected();
    sub.client.subscribeTo(topic, 1);
    await sub.until(() => sub.subacks.length === 1, 'SUBACK');
    const p = await proxy();
    const h = harness({ port: p.port, cleanSession: false, sessionExpiryInterval: 60 });
    const out = sniff(h);
    await h.connected();
    p.blockUp = true; // the PUBLISH never reaches the broker
    const id = h.client.publish(topic, text('in flight'), { qos: 1, token: 'row-1' });
    await sleep(100);
    p.cut();
    p.blockUp = false;
    await h.until(() => h.acked.length === 1, 'PUBACK after the resend');
    expect(h.acked[0]).toEqual({ id, token: 'row-1', reasonCode: 0 });
    const publishes = out.filter((x) => x.type === PacketType.PUBLISH);
    expect(publishes.map((x) => (x.type === PacketType.PUBLISH ? [x.packetId, x.dup] : []))).toEqual([[id, false], [id, true]]);
    await sub.until(() => sub.messages.length === 1, 'the message');
    expect(sub.messages[0].payload.toString()).toBe('in flight');
  });

  it('session recovery: a QoS 2 PUBLISH past PUBREC whose PUBCOMP was lost gets its PUBREL resent (not the PUBLISH); delivered once', async () => {
    const topic = `rec2/${uniqueId('t')}`;
    const sub = harness();
    await sub.connected();
    sub.client.subscribeTo(topic, 2);
    await sub.until(() => sub.subacks.length === 1, 'SUBACK');
    const p = await proxy();
    const h = harness({ port: p.port, cleanSession: false, sessionExpiryInterval: 60 });
    let cutOnce = true;
    const out = sniff(h, (packet) => {
      if (packet.type === PacketType.PUBREL && cutOnce) p.blockDown = true; // the first PUBCOMP will not reach us
    });
    await h.connected();
    const id = h.client.publish(topic, text('exactly once'), { qos: 2, token: 'q2' });
    await waitFor(() => out.some((x) => x.type === PacketType.PUBREL), 'the PUBREL');
    await sleep(200);
    expect(h.acked).toEqual([]);
    cutOnce = false;
    p.cut();
    p.blockDown = false;
    await h.until(() => h.acked.length === 1, 'PUBCOMP after the PUBREL resend');
    expect(h.connects).toEqual([false, true]);
    expect(h.acked[0]).toEqual({ id, token: 'q2', reasonCode: 0 });
    const flow = out.filter((x) => x.type === PacketType.PUBLISH || x.type === PacketType.PUBREL).map((x) => `${x.type === PacketType.PUBLISH ? 'PUBLISH' : 'PUBREL'} ${'packetId' in x ? x.packetId : ''}`);
    expect(flow).toEqual([`PUBLISH ${id}`, `PUBREL ${id}`, `PUBREL ${id}`]);
    await sub.until(() => sub.messages.length === 1, 'the message');
    await sleep(300);
    expect(sub.messages.map((m) => m.payload.toString())).toEqual(['exactly once']);
  });

  it('session recovery: an inbound QoS 2 PUBLISH whose PUBREC was lost comes again with DUP after the reconnect and is delivered once', async () => {
    const topic = `rec3/${uniqueId('t')}`;
    const p = await proxy();
    const h = harness({ port: p.port, cleanSession: false, sessionExpiryInterval: 60 });
    let cutOnce = true;
    sniff(h, (packet) => {
      if (packet.type === PacketType.PUBREC && cutOnce) p.blockUp = true; // the broker never hears our first PUBREC
    });
    const got = inbound(h);
    await h.connected();
    h.client.subscribeTo(topic, 2);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    const pub = harness();
    await pub.connected();
    pub.client.publish(topic, text('once'), { qos: 2 });
    await h.until(() => h.messages.length === 1, 'the message');
    await sleep(200);
    cutOnce = false;
    p.cut();
    p.blockUp = false;
    await h.until(() => h.connects.length === 2, 'the reconnection');
    expect(h.connects[1]).toBe(true);
    await waitFor(() => got.some((x) => x.type === PacketType.PUBREL), 'the PUBREL of the redelivery');
    await sleep(300);
    const publishes = got.filter((x) => x.type === PacketType.PUBLISH);
    expect(publishes.map((x) => (x.type === PacketType.PUBLISH ? [x.qos, x.dup] : []))).toEqual([[2, false], [2, true]]);
    expect(h.messages.map((m) => m.payload.toString())).toEqual(['once']);
  });
});
