// IoT Hub's MQTT rules: what makes it close a device's connection, and what it tolerates.
import { connect as netConnect } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, connect, deviceOptions, nextEvent, sleep, startTestHub, type TestHub } from './helpers';

let t: TestHub;
let key: string;

beforeAll(async () => {
  t = await startTestHub({ tcpPort: 0 });
  key = t.hub.createDevice({ deviceId: 'rules-1' }).primaryKey!;
  t.hub.createDevice({ deviceId: 'rules-2' });
});
afterAll(() => t.stop());

const device = () => connect(deviceOptions(t.hub, 'rules-1', key));

describe('connection-closing violations', () => {
  it('closes on a QoS 2 publish without storing it', async () => {
    const c = await device();
    const violation = nextEvent<{ reason: string }>(t.hub, 'violation');
    c.publish('devices/rules-1/messages/events/', 'x', { qos: 2 });
    await closed(c);
    expect((await violation).reason).toMatch(/QoS 2/);
    expect(t.hub.telemetry('rules-1')).toHaveLength(0);
  });

  it("closes on a publish to another device's topic or an unknown topic", async () => {
    for (const topic of ['devices/rules-2/messages/events/', 'some/topic', '$iothub/twin/PATCH/properties/desired/?$rid=1']) {
      const c = await device();
      c.publish(topic, '{}', { qos: 1 });
      await closed(c);
    }
    expect(t.hub.telemetry('rules-2')).toHaveLength(0);
  });

  it("closes on a subscription outside the allowed set, including another device's C2D topic", async () => {
    for (const topic of ['devices/rules-2/messages/devicebound/#', '#', '$iothub/#']) {
      const c = await device();
      c.subscribe(topic, { qos: 1 });
      await closed(c);
    }
  });

  it('closes on a SUBSCRIBE with six topic filters, accepts five', async () => {
    const allowed = ['devices/rules-1/messages/devicebound/#', '$iothub/twin/res/#', '$iothub/twin/PATCH/properties/desired/#', '$iothub/methods/POST/#'];
    // mqtt.js merges duplicate filters, so these go out as raw packets
    const rawSubscribe = async (topics: string[]) => {
      const sock = netConnect(t.hub.tcpPort!, '127.0.0.1');
      const parser = mqttPacket.parser();
      const packets: string[] = [];
      parser.on('packet', (p) => packets.push(p.cmd));
      sock.on('data', (d) => parser.parse(d));
      const isClosed = new Promise((r) => sock.once('close', r));
      const opts = deviceOptions(t.hub, 'rules-1', key);
      sock.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'rules-1', keepalive: 60, username: opts.username, password: Buffer.from(opts.password as string) }));
      await sleep(200);
      sock.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: topics.map((topic) => ({ topic, qos: 1 as const })) }));
      const outcome = await Promise.race([isClosed.then(() => 'closed'), sleep(500).then(() => 'open')]);
      sock.destroy();
      return { outcome, packets };
    };
    expect(await rawSubscribe([...allowed, allowed[0]])).toEqual({ outcome: 'open', packets: ['connack', 'suback'] });
    expect(await rawSubscribe([...allowed, allowed[0], allowed[1]])).toEqual({ outcome: 'closed', packets: ['connack'] });
  });

  it('closes on a D2C message over 256 KB, accepts 256 KB', async () => {
    const c = await device();
    await c.publishAsync('devices/rules-1/messages/events/', Buffer.alloc(256 * 1024, 0x61), { qos: 1 });
    expect(t.hub.telemetry('rules-1').at(-1)!.bodyBase64.length).toBeGreaterThan(256 * 1024);
    c.publish('devices/rules-1/messages/events/', Buffer.alloc(256 * 1024 + 1, 0x61), { qos: 1 });
    await closed(c);
  });
});

describe('tolerated behaviour', () => {
  it('grants QoS 1 for a QoS 2 subscription', async () => {
    const c = await device();
    const granted = await c.subscribeAsync('$iothub/twin/res/#', { qos: 2 });
    expect(granted[0].qos).toBe(1);
    await c.endAsync();
  });

  it('does not retain; forwards the message with an mqtt-retain property', async () => {
    const c = await device();
    await c.publishAsync('devices/rules-1/messages/events/', 'kept?', { qos: 1, retain: true });
    await sleep(50);
    expect(t.hub.telemetry('rules-1').at(-1)!.properties['mqtt-retain']).toBe('true');
    await c.endAsync();
  });

  it('forwards a will on a telemetry topic as a message of type Will', async () => {
    const c = await connect(deviceOptions(t.hub, 'rules-1', key, { will: { topic: 'devices/rules-1/messages/events/', payload: Buffer.from('gone'), qos: 1, retain: false } }));
    const ev = nextEvent<{ body: string; properties: Record<string, string> }>(t.hub, 'telemetry');
    c.stream.destroy();
    const will = await ev;
    expect(will.body).toBe('gone');
    expect(will.properties['iothub-MessageType']).toBe('Will');
  });

  it('a second connection with the same device id drops the first', async () => {
    const first = await device();
    const firstClosed = closed(first);
    const second = await device();
    await firstClosed;
    expect(second.connected).toBe(true);
    expect(t.hub.isConnected('rules-1')).toBe(true);
    await second.publishAsync('devices/rules-1/messages/events/', 'from second', { qos: 1 });
    await sleep(50);
    expect(t.hub.telemetry('rules-1').at(-1)!.body).toBe('from second');
    await second.endAsync();
    await sleep(50);
    expect(t.hub.isConnected('rules-1')).toBe(false);
  });
});

describe('keepalive', () => {
  it('times out at 1.5 x keepalive, but never later than 1767 s', async () => {
    for (const [keepalive, timeout] of [[60, 90], [1177, 1765], [1178, 1767], [3600, 1767], [0, 1767]]) {
      const ev = nextEvent<{ timeoutSeconds: number }>(t.hub, 'connected');
      const c = await connect(deviceOptions(t.hub, 'rules-1', key, { keepalive }));
      expect((await ev).timeoutSeconds).toBe(timeout);
      await c.endAsync();
    }
  });
});
