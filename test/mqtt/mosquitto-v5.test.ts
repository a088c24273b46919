/**
 * The MQTT client in MQTT 5.0 mode (src/mqtt/client.ts over hosts/node/network.ts, real clock and
 * timers) against a real mosquitto: flow control at a Receive Maximum of 10, topic aliases on the
 * wire, session expiry across reconnects, request/response, subscription options and
 * identifiers, will delay, the server's DISCONNECT for an oversized packet, a session takeover
 * (which this mosquitto ends without a DISCONNECT), and what CONNACK assigns (client id, keep
 * alive, limits).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encode, encodedLength } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import { PacketType, type Packet } from '../../src/mqtt/packets';
import { PUBLISH_INVALID } from '../../src/mqtt/session';
import { startMosquitto, type Mosquitto } from '../fixtures/mosquitto';
import { Harness, v5Harnesses, leaveSubscribedSession, sleep } from './mosquitto-helpers';

let broker: Mosquitto;
const harnesses = v5Harnesses(() => broker, 'v5');
const harness = harnesses.make;

beforeAll(async () => {
  broker = await startMosquitto({ extraConfig: ['max_inflight_messages 10', 'max_packet_size 4096', 'max_keepalive 30'] });
});

afterEach(() => {
  harnesses.closeAll();
});

afterAll(async () => {
  await broker?.stop();
});

let serial = 0;
function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++serial}`;
}


/** Decodes what a harness writes (5.0), as packets. */
function sniff(h: Harness): Packet[] {
  const sent: Packet[] = [];
  const d = new Decoder({ protocolVersion: 5, maxPacketSize: 1 << 20, onPacket: (p) => sent.push(p) });
  h.network.sniff = (bytes) => d.push(bytes);
  return sent;
}

const text = (s: string) => new TextEncoder().encode(s);

describe('MQTT 5.0 client against mosquitto', () => {
  it('CONNACK: the server limits reach the application and apply (Receive Maximum, Maximum Packet Size, Topic Alias Maximum, Server Keep Alive, an assigned client id)', async () => {
    const h = harness({ clientId: '', keepAlive: 60 });
    await h.connected();
    const props = h.connackProperties[0];
    expect(props).toMatchObject({ receiveMaximum: 10, maximumPacketSize: 4096, topicAliasMaximum: 10, serverKeepAlive: 30 });
    expect(props?.assignedClientIdentifier).toMatch(/^auto-/);
    expect(h.client.session.keepAlive).toBe(30);
    expect(h.client.session.assignedClientIdentifier).toBe(props?.assignedClientIdentifier);
  });

  it('flow control: 50 QoS 1 publishes never have more than the broker Receive Maximum (10) unacknowledged, and all arrive in order', async () => {
    const topic = `flow/${uniqueId('t')}`;
    const sub = harness({ receiveMaximum: 10 });
    await sub.connected();
    sub.client.subscribeTo(topic, 2);
    await sub.until(() => sub.subacks.length === 1, 'SUBACK');
    const pub = harness({ inflightWindow: 50 });
    await pub.connected();
    let most = 0;
    const sent: number[] = [];
    for (let i = 0; i < 50; i++) {
      sent.push(pub.client.publish(topic, text(`m${i}`), { qos: 1, token: i }));
      most = Math.max(most, pub.client.session.inflightCount);
    }
    await pub.until(() => pub.acked.length === 50, '50 PUBACKs');
    expect(most).toBe(10);
    expect(sent.slice(0, 10).every((id) => id > 0)).toBe(true);
    expect(sent.slice(10).every((id) => id === -1)).toBe(true); // PUBLISH_QUEUED: waiting for a slot
    expect(pub.acked.map((a) => a.token)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(pub.acked.every((a) => a.reasonCode === 0)).toBe(true);
    await sub.until(() => sub.messages.length === 50, '50 messages');
    expect(sub.messages.map((m) => m.payload.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(sub.errors).toEqual([]);
  });

  it('topic aliases: after the first PUBLISH the topic goes as an alias only, and the subscriber still sees the topic', async () => {
    const topic = `alias/${uniqueId('t')}/a-rather-long-telemetry-topic-name`;
    const sub = harness();
    await sub.connected();
    sub.client.subscribeTo(topic, 1);
    await sub.until(() => sub.subacks.length === 1, 'SUBACK');
    const pub = harness();
    const wire = sniff(pub);
    await pub.connected();
    for (let i = 0; i < 3; i++) pub.client.publish(topic, text(`a${i}`), { qos: 1 });
    await pub.until(() => pub.acked.length === 3, 'PUBACKs');
    const publishes = wire.filter((p) => p.type === PacketType.PUBLISH);
    expect(publishes.map((p) => [p.topic, p.properties?.topicAlias])).toEqual([
      [topic, 1],
      ['', 1],
      ['', 1],
    ]);
    await sub.until(() => sub.messages.length === 3, 'messages');
    expect(sub.messages.map((m) => m.topic)).toEqual([topic, topic, topic]);
  });

  it('session expiry: the session and its queued QoS 1 messages survive a reconnect within the expiry, not after it', async () => {
    const topic = `expiry/${uniqueId('t')}`;
    const clientId = uniqueId('persist');
    await leaveSubscribedSession(harness, clientId, topic);
    const pub = harness();
    await pub.connected();
    for (let i = 0; i < 3; i++) pub.client.publish(topic, text(`q${i}`), { qos: 1 });
    await pub.until(() => pub.acked.length === 3, 'PUBACKs');
    const b = harness({ clientId, cleanSession: false, sessionExpiryInterval: 1 });
    await b.connected();
    expect(b.connects).toEqual([true]); // session present
    await b.until(() => b.messages.length === 3, 'the queued messages');
    expect(b.messages.map((m) => m.payload.toString())).toEqual(['q0', 'q1', 'q2']);
    b.client.close();
    await sleep(2_200); // the session now expires 1 s after the disconnect
    pub.client.publish(topic, text('late'), { qos: 1 });
    await pub.until(() => pub.acked.length === 4, 'PUBACK');
    const c = harness({ clientId, cleanSession: false, sessionExpiryInterval: 60 });
    await c.connected();
    expect(c.connects).toEqual([false]);
    await sleep(300);
    expect(c.messages).toEqual([]);
  });

  it('request/response: the responder answers on the Response Topic with the Correlation Data; content type and user properties pass through', async () => {
    const service = `svc/${uniqueId('req')}`;
    const responder = harness();
    await responder.connected();
    responder.client.subscribeTo(service, 1);
    await responder.until(() => responder.subacks.length === 1, 'SUBACK');
    const requester = harness();
    await requester.connected();
    const replyTo = `reply/${uniqueId('r')}`;
    requester.client.subscribeTo(replyTo, 1);
    await requester.until(() => requester.subacks.length === 1, 'SUBACK');
    requester.client.publish(service, text('{"get":"temp"}'), {
      qos: 1,
      properties: { responseTopic: replyTo, correlationData: text('req-42'), contentType: 'application/json', payloadFormatIndicator: true, userProperties: [['unit', 'C'], ['unit', 'F']] },
    });
    await responder.until(() => responder.messages.length === 1, 'the request');
    const request = responder.messages[0];
    expect(request.properties).toMatchObject({ responseTopic: replyTo, contentType: 'application/json', payloadFormatIndicator: true, userProperties: [['unit', 'C'], ['unit', 'F']] });
    responder.client.publish(request.properties!.responseTopic!, text('{"temp":21.5}'), { qos: 1, properties: { correlationData: request.properties!.correlationData } });
    await requester.until(() => requester.messages.length === 1, 'the response');
    expect(requester.messages[0].topic).toBe(replyTo);
    expect(Buffer.from(requester.messages[0].properties!.correlationData!).toString()).toBe('req-42');
    expect(requester.messages[0].payload.toString()).toBe('{"temp":21.5}');
  });

  it('subscription options and identifiers: No Local, Retain Handling 2, the identifier on each matching message', async () => {
    const topic = `opts/${uniqueId('t')}`;
    const other = harness();
    await other.connected();
    other.client.publish(topic, text('retained'), { qos: 1, retain: true });
    await other.until(() => other.acked.length === 1, 'PUBACK');
    const h = harness();
    await h.connected();
    h.client.subscribe([{ topicFilter: topic, qos: 1, noLocal: true, retainHandling: 2 }], 42);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    h.client.publish(topic, text('mine'), { qos: 1 });
    other.client.publish(topic, text('theirs'), { qos: 1 });
    await h.until(() => h.messages.length === 1, 'one message');
    await sleep(300);
    expect(h.messages.map((m) => m.payload.toString())).toEqual(['theirs']); // not the retained one, not its own
    expect(h.messages[0].properties?.subscriptionIdentifier).toBe(42);
    other.client.publish(topic, new Uint8Array(0), { qos: 1, retain: true }); // clear the retained message
  });

  it('will delay: a connection lost sends the will only after the Will Delay Interval', async () => {
    const willTopic = `will/${uniqueId('w')}`;
    const watcher = harness();
    await watcher.connected();
    watcher.client.subscribeTo(willTopic, 1);
    await watcher.until(() => watcher.subacks.length === 1, 'SUBACK');
    const h = harness({
      cleanSession: false,
      sessionExpiryInterval: 30,
      will: { topic: willTopic, payload: text('offline'), qos: 1, retain: false, properties: { willDelayInterval: 2 } },
    });
    await h.connected();
    const cutAt = Date.now();
    h.network.last.destroy(); // the link dies: no DISCONNECT, so the broker keeps the will
    await h.until(() => h.disconnects.length === 1, 'the lost connection');
    h.client.close(); // and it does not come back (a reconnect within the delay would cancel the will)
    await watcher.until(() => watcher.messages.length === 1, 'the will', 8_000);
    const delay = Date.now() - cutAt;
    expect(delay).toBeGreaterThanOrEqual(1_900);
    expect(watcher.messages[0].payload.toString()).toBe('offline');
  });

  it('maximum packet size: a PUBLISH over the broker maximum is refused here; forced onto the wire, the broker answers DISCONNECT 0x95', async () => {
    const h = harness();
    await h.connected();
    expect(h.client.publish('big', new Uint8Array(5000), { qos: 1 })).toBe(PUBLISH_INVALID);
    expect(h.errors.map((e) => e.code)).toEqual(['PACKET_TOO_LARGE']);
    const oversized: Packet = { type: PacketType.PUBLISH, topic: 'big', payload: new Uint8Array(5000), qos: 0, retain: false, dup: false };
    const bytes = new Uint8Array(encodedLength(oversized, 5));
    encode(oversized, bytes, 0, 5);
    h.network.last.write(bytes);
    await h.until(() => h.disconnects.length === 1, 'the broker DISCONNECT');
    expect(h.disconnects[0]).toMatchObject({ code: 'SERVER_DISCONNECT', reasonCode: 0x95 });
  });

  it('session takeover: mosquitto 2.0.11 (Debian 12) closes the first connection without a DISCONNECT 0x8E; the client reports the closed transport', async () => {
    // The 0x8E path (reason code to the application, the backoff ceiling) is checked against a
    // simulated server in test/mqtt/client.suite.ts: this broker version never sends it.
    const clientId = uniqueId('twin');
    const first = harness({ clientId, backoff: { minMs: 5_000, maxMs: 30_000 } });
    await first.connected();
    const second = harness({ clientId });
    await second.connected();
    await first.until(() => first.disconnects.length === 1 && first.scheduled.length === 1, 'the takeover');
    expect(first.disconnects[0].code).toBe('CLOSED');
    expect(first.disconnects[0].reasonCode).toBeUndefined();
    first.client.close(); // before its retry takes the session back
    expect(broker.log()).toContain(`Client ${clientId} already connected, closing old connection.`);
    expect(second.disconnects).toEqual([]);
  });
});
