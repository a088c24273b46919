/**
 * The MQTT client (src/mqtt/client.ts over hosts/node/network.ts, real clock and timers) against a
 * real mosquitto, with mqtt.js as the peer on the other side of the broker.
 */
import { connectAsync, type IClientOptions, type MqttClient as PeerClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClientOptions } from '../../src/mqtt/client';
import { startMosquitto, type Mosquitto } from '../fixtures/mosquitto';
import { Harness, Proxy, sleep } from './mosquitto-helpers';

let broker: Mosquitto;
const harnesses: Harness[] = [];
const peers: PeerClient[] = [];
const proxies: Proxy[] = [];

beforeAll(async () => {
  broker = await startMosquitto({ persistence: true });
});

afterEach(async () => {
  for (const h of harnesses.splice(0)) h.client.close();
  for (const p of peers.splice(0)) await p.endAsync(true).catch(() => undefined);
  for (const p of proxies.splice(0)) await p.close();
});

afterAll(async () => {
  await broker?.stop();
});

let serial = 0;
function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++serial}`;
}

function harness(options: Partial<MqttClientOptions> = {}): Harness {
  const h = new Harness({
    host: broker.host,
    port: broker.plainPort,
    clientId: uniqueId('dev'),
    backoff: { minMs: 200, maxMs: 1000 },
    connectTimeoutMs: 5_000,
    ...options,
  });
  harnesses.push(h);
  return h;
}

async function peer(options: IClientOptions = {}, port = broker.plainPort): Promise<PeerClient> {
  const p = await connectAsync(`mqtt://${broker.host}:${port}`, { protocolVersion: 4, reconnectPeriod: 0, ...options });
  peers.push(p);
  return p;
}

function nextMessages(p: PeerClient, count: number): Promise<{ topic: string; payload: Buffer; qos: number; retain: boolean }[]> {
  const got: { topic: string; payload: Buffer; qos: number; retain: boolean }[] = [];
  return new Promise((resolve) => {
    const on = (topic: string, payload: Buffer, packet: { qos: number; retain: boolean }) => {
      got.push({ topic, payload, qos: packet.qos, retain: packet.retain });
      if (got.length === count) {
        p.off('message', on);
        resolve(got);
      }
    };
    p.on('message', on);
  });
}

const text = (s: string) => new TextEncoder().encode(s);

describe('MQTT client against mosquitto', () => {
  it('plain TCP: QoS 0, 1 and 2 out to an mqtt.js subscriber, acknowledged with the tokens', async () => {
    const sub = await peer();
    await sub.subscribeAsync('up/#', { qos: 2 });
    const h = harness();
    await h.connected();
    expect(h.connects).toEqual([false]);
    const arriving = nextMessages(sub, 3);
    expect(h.client.publish('up/q0', text('zero'), { qos: 0 })).toBe(0);
    expect(h.client.publish('up/q1', text('one'), { qos: 1, token: 't1' })).toBeGreaterThan(0);
    expect(h.client.publish('up/q2', text('two'), { qos: 2, token: 't2' })).toBeGreaterThan(0);
    const got = await arriving;
    expect(got.map((m) => [m.topic, m.payload.toString(), m.qos])).toEqual([
      ['up/q0', 'zero', 0],
      ['up/q1', 'one', 1],
      ['up/q2', 'two', 2],
    ]);
    await h.until(() => h.acked.length === 2, 'PUBACK and PUBCOMP');
    expect(h.acked.map((a) => a.token).sort()).toEqual(['t1', 't2']);
    expect(h.client.session.inflightCount).toBe(0);
  });

  it('plain TCP: QoS 0, 1 and 2 in from an mqtt.js publisher, each delivered once', async () => {
    const h = harness();
    await h.connected();
    h.client.subscribe([{ topicFilter: 'down/#', qos: 2 }]);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    expect(h.subacks[0]).toEqual([2]);
    const pub = await peer();
    await pub.publishAsync('down/q0', 'a', { qos: 0 });
    await pub.publishAsync('down/q1', 'b', { qos: 1 });
    await pub.publishAsync('down/q2', 'c', { qos: 2 });
    await h.until(() => h.messages.length === 3, 'three messages');
    await sleep(200); // a duplicate delivery would show up here
    expect(h.messages.map((m) => [m.topic, m.payload.toString(), m.qos])).toEqual([
      ['down/q0', 'a', 0],
      ['down/q1', 'b', 1],
      ['down/q2', 'c', 2],
    ]);
  });

  it('TLS with the right CA connects and carries messages', async () => {
    const h = harness({ port: broker.tlsPort, tls: { ca: [broker.caPem] } });
    await h.connected();
    h.client.subscribeTo('tls/echo', 1);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    h.client.publish('tls/echo', text('over tls'), { qos: 1 });
    await h.until(() => h.messages.length === 1, 'echo');
    expect(h.messages[0].payload.toString()).toBe('over tls');
  });

  it('TLS with a client certificate (X.509 auth) connects; the broker takes the certificate CN as user', async () => {
    const clientId = uniqueId('x509');
    const h = harness({ port: broker.mtlsPort, clientId, tls: { ca: [broker.caPem], cert: broker.clientCertPem, key: broker.clientKeyPem } });
    await h.connected();
    expect(broker.log()).toMatch(new RegExp(`New client connected from 127\\.0\\.0\\.1:\\d+ as ${clientId} .*u'${broker.clientCertCn}'`));
  });

  it('TLS with an unrelated CA fails with TLS_CERT_UNTRUSTED and keeps backing off', async () => {
    const h = harness({ port: broker.tlsPort, tls: { ca: [broker.wrongCaPem] } });
    h.client.start();
    await h.until(() => h.errors.length >= 1 && h.scheduled.length >= 1, 'a TLS failure');
    expect(h.errors[0].code).toBe('TLS_CERT_UNTRUSTED');
    expect(h.connects).toEqual([]);
    expect(h.scheduled[0].delayMs).toBeGreaterThanOrEqual(200);
  });

  it('TLS with a host name the certificate does not name fails with TLS_HOSTNAME', async () => {
    const h = harness({ port: broker.tlsPort, tls: { ca: [broker.caPem], serverName: 'not-this-broker.example' } });
    h.client.start();
    await h.until(() => h.errors.length >= 1, 'a TLS failure');
    expect(h.errors[0].code).toBe('TLS_HOSTNAME');
    expect(h.connects).toEqual([]);
  });

  it('a bad password is CONNACK_BAD_USERNAME_OR_PASSWORD / NOT_AUTHORIZED and waits the backoff ceiling, not a tight loop', async () => {
    const h = harness({ port: broker.authPort, username: broker.username, password: 'not the password', backoff: { minMs: 300, maxMs: 1200 } });
    h.client.start();
    await h.until(() => h.network.attempts.length >= 3, 'three attempts', 15_000);
    h.client.close();
    // MQTT 3.1.1 allows either code; mosquitto 2.0 answers 5 (not authorized) to a wrong password.
    const codes = h.errors.map((e) => e.code);
    expect(codes.length).toBeGreaterThanOrEqual(2);
    for (const code of codes) expect(code).toMatch(/^CONNACK_(BAD_USERNAME_OR_PASSWORD|NOT_AUTHORIZED)$/);
    expect(h.scheduled.slice(0, 2).map((s) => s.delayMs)).toEqual([1200, 1200]);
    const [a, b, c] = h.network.attempts;
    // Each gap includes the refused handshake; it must be at least the ceiling and so at least the floor.
    expect(b - a).toBeGreaterThanOrEqual(1200 - 5);
    expect(c - b).toBeGreaterThanOrEqual(1200 - 5);
  });

  it('no credentials on the password listener is CONNACK_NOT_AUTHORIZED; the right ones connect', async () => {
    const anon = harness({ port: broker.authPort });
    anon.client.start();
    await anon.until(() => anon.errors.length >= 1, 'a refusal');
    expect(anon.errors[0].code).toBe('CONNACK_NOT_AUTHORIZED');
    anon.client.close();
    const ok = harness({ port: broker.authPort, username: broker.username, password: () => broker.password });
    await ok.connected();
    expect(ok.errors).toEqual([]);
  });

  it('a 256 KiB payload goes out and comes back intact', async () => {
    const big = new Uint8Array(randomBytes(256 * 1024));
    const sub = await peer();
    await sub.subscribeAsync('big/out', { qos: 1 });
    const h = harness();
    await h.connected();
    h.client.subscribeTo('big/in', 1);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    const arriving = nextMessages(sub, 1);
    h.client.publish('big/out', big, { qos: 1, token: 'big' });
    const [got] = await arriving;
    expect(got.payload.length).toBe(big.length);
    expect(Buffer.compare(got.payload, Buffer.from(big))).toBe(0);
    await h.until(() => h.acked.length === 1, 'PUBACK');
    await sub.publishAsync('big/in', Buffer.from(big), { qos: 1 });
    await h.until(() => h.messages.length === 1, 'the big message');
    expect(Buffer.compare(h.messages[0].payload, Buffer.from(big))).toBe(0);
  });

  it('retained messages: published retained, delivered with the retain flag to a late subscriber', async () => {
    const h = harness();
    await h.connected();
    h.client.publish('retained/ours', text('kept'), { qos: 1, retain: true });
    await h.until(() => h.acked.length === 1, 'PUBACK');
    const late = await peer();
    const arriving = nextMessages(late, 1);
    await late.subscribeAsync('retained/ours', { qos: 1 });
    const [got] = await arriving;
    expect([got.payload.toString(), got.retain]).toEqual(['kept', true]);
    await late.publishAsync('retained/theirs', 'also kept', { qos: 1, retain: true });
    h.client.subscribeTo('retained/theirs', 1);
    await h.until(() => h.messages.length === 1, 'the retained message');
    expect([h.messages[0].payload.toString(), h.messages[0].retain]).toEqual(['also kept', true]);
  });

  it('the will is published when the connection drops abruptly, and not after a clean close', async () => {
    const watcher = await peer();
    await watcher.subscribeAsync('will/#', { qos: 1 });
    const seen: string[] = [];
    watcher.on('message', (topic, payload) => seen.push(`${topic}=${payload.toString()}`));
    const abrupt = harness({ will: { topic: 'will/abrupt', payload: text('lost'), qos: 1, retain: false } });
    await abrupt.connected();
    const clean = harness({ will: { topic: 'will/clean', payload: text('should not appear'), qos: 1, retain: false } });
    await clean.connected();
    clean.client.close();
    abrupt.network.last.destroy(); // no DISCONNECT, a reset: the broker must publish the will
    const deadline = Date.now() + 5_000;
    while (!seen.includes('will/abrupt=lost') && Date.now() < deadline) await sleep(20);
    await watcher.publishAsync('will/marker', 'end', { qos: 1 });
    while (!seen.includes('will/marker=end') && Date.now() < deadline) await sleep(20);
    expect(seen).toContain('will/abrupt=lost');
    expect(seen.filter((s) => s.startsWith('will/clean'))).toEqual([]);
    // The client noticed the loss and reconnected by itself.
    await abrupt.until(() => abrupt.connects.length === 2, 'reconnection');
    expect(abrupt.disconnects[0].code).toMatch(/ECONNRESET|CLOSED|CONNECTION_LOST/);
  });

  it('keepalive: the broker sees PINGREQ from the client every keepalive period', async () => {
    const clientId = uniqueId('pinger');
    const h = harness({ clientId, keepAlive: 1 });
    await h.connected();
    const pings = new RegExp(`Received PINGREQ from ${clientId}`, 'g');
    await broker.waitForLog(new RegExp(`(Received PINGREQ from ${clientId}[\\s\\S]*){2}`), 5_000);
    expect(h.disconnects).toEqual([]);
    expect(broker.log().match(pings)?.length).toBeGreaterThanOrEqual(2);
    expect(broker.log()).toMatch(new RegExp(`Sending PINGRESP to ${clientId}`));
  });

  it('keepalive: a broker that goes silent is declared dead within 1.5 x keepalive (K + K/4) and the client reconnects', async () => {
    const proxy = await new Proxy(broker.plainPort).start();
    proxies.push(proxy);
    const h = harness({ port: proxy.port, keepAlive: 1 });
    await h.connected();
    proxy.blockDown = true; // PINGRESP never arrives
    const started = performance.now();
    await h.until(() => h.disconnects.length === 1, 'the dead connection', 5_000);
    expect(h.disconnects[0].code).toBe('KEEPALIVE_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(2_000);
    proxy.blockDown = false;
    await h.until(() => h.connects.length === 2, 'reconnection', 5_000);
  });

  it('a QoS 1 publish cut off in flight is resent with DUP after reconnect and reaches a subscriber', async () => {
    const sub = await peer({ clientId: uniqueId('collector'), clean: false });
    await sub.subscribeAsync('persist/up', { qos: 1 });
    const proxy = await new Proxy(broker.plainPort).start();
    proxies.push(proxy);
    const clientId = uniqueId('persist-pub');
    const h = harness({ port: proxy.port, clientId, cleanSession: false });
    await h.connected();
    proxy.blockUp = true; // the PUBLISH never reaches the broker
    const arriving = nextMessages(sub, 1);
    const id = h.client.publish('persist/up', text('in flight'), { qos: 1, token: 'row-17' });
    expect(id).toBeGreaterThan(0);
    await sleep(100);
    expect(h.acked).toEqual([]);
    proxy.cut();
    proxy.blockUp = false;
    await h.until(() => h.connects.length === 2, 'reconnection');
    expect(h.connects[1]).toBe(true);
    const [got] = await arriving;
    expect(got.payload.toString()).toBe('in flight');
    await h.until(() => h.acked.length === 1, 'PUBACK after the resend');
    expect(h.acked[0]).toEqual({ id, token: 'row-17', reasonCode: 0 });
    const log = await broker.waitForLog(new RegExp(`Received PUBLISH from ${clientId} \\(d1, q1, r0, m${id}, 'persist/up'`));
    expect(log).toMatch(new RegExp(`Received PUBLISH from ${clientId} \\(d1, q1, r0, m${id}`));
  });

  it('messages sent while the device was offline arrive after it reconnects (CleanSession=0, QoS 1, across a broker restart)', async () => {
    const clientId = uniqueId('offline-dev');
    const first = harness({ clientId, cleanSession: false });
    await first.connected();
    first.client.subscribeTo('c2d/offline/#', 1);
    await first.until(() => first.subacks.length === 1, 'SUBACK');
    first.client.close();
    const pub = await peer();
    await pub.publishAsync('c2d/offline/a', 'while away 1', { qos: 1 });
    await pub.publishAsync('c2d/offline/b', 'while away 2', { qos: 1 });
    await pub.endAsync();
    await broker.restart(); // persistence keeps the session and its queue
    const again = harness({ clientId, cleanSession: false });
    await again.connected();
    expect(again.connects).toEqual([true]);
    await again.until(() => again.messages.length === 2, 'the queued messages');
    expect(again.messages.map((m) => [m.topic, m.payload.toString(), m.qos])).toEqual([
      ['c2d/offline/a', 'while away 1', 1],
      ['c2d/offline/b', 'while away 2', 1],
    ]);
  });

  it('a broker restart is a disconnect followed by an automatic reconnect', async () => {
    const h = harness({ cleanSession: true });
    await h.connected();
    h.client.subscribeTo('after/restart', 1);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    await broker.restart();
    await h.until(() => h.connects.length === 2, 'reconnection');
    expect(h.disconnects.length).toBe(1);
    expect(h.connects[1]).toBe(false);
    // No session on the broker: the client subscribed again by itself.
    await h.until(() => h.subacks.length === 2, 'the resubscription');
    const pub = await peer();
    await pub.publishAsync('after/restart', 'still subscribed', { qos: 1 });
    await h.until(() => h.messages.length === 1, 'a message');
  });

  it('a planned reconnect swaps credentials and keeps the session; it also cuts a refusal backoff short', async () => {
    let password = broker.password;
    const h = harness({ port: broker.authPort, username: broker.username, password: () => password, cleanSession: false, backoff: { minMs: 200, maxMs: 60_000 } });
    await h.connected();
    h.client.subscribeTo('renew/#', 1);
    await h.until(() => h.subacks.length === 1, 'SUBACK');
    h.client.reconnect({ password: 'expired token' });
    await h.until(() => h.errors.length === 1, 'the refusal');
    expect(h.errors[0].code).toMatch(/^CONNACK_(BAD_USERNAME_OR_PASSWORD|NOT_AUTHORIZED)$/);
    expect(h.scheduled.at(-1)?.delayMs).toBe(60_000);
    password = broker.password;
    const started = performance.now();
    h.client.reconnect({ password: () => password });
    await h.until(() => h.connects.length === 2, 'the renewed connection', 5_000);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(h.connects[1]).toBe(true);
    expect(h.disconnects[0].code).toBe('RECONNECT');
    const pub = await peer({ username: broker.username, password: broker.password }, broker.authPort);
    await pub.publishAsync('renew/x', 'after renewal', { qos: 1 });
    await h.until(() => h.messages.length === 1, 'a message on the kept subscription');
  });
});
