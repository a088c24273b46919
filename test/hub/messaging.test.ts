// D2C events with their properties, C2D delivery and session semantics, twins and direct methods.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { C2DError } from '../../simulator/hub/hub';
import { connect, deviceOptions, nextEvent, nextMessage, sleep, startTestHub, type TestHub } from './helpers';

let t: TestHub;
const keys: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestHub();
  for (const id of ['tele', 'c2d-persist', 'c2d-clean', 'c2d-limit', 'twin', 'meth']) keys[id] = t.hub.createDevice({ deviceId: id }).primaryKey!;
});
afterAll(() => t.stop());

const device = (id: string, clean = true) => connect(deviceOptions(t.hub, id, keys[id], { clean }));
const C2D = (id: string) => `devices/${id}/messages/devicebound/#`;
/** Receives QoS 1 messages without ever sending PUBACK. */
function withholdAcks(c: MqttClient): void {
  (c as unknown as { handleMessage: (p: unknown, cb: () => void) => void }).handleMessage = () => undefined;
}

describe('device-to-cloud', () => {
  it('stores events with system and application properties and streams them', async () => {
    const c = await device('tele');
    const streamed = nextEvent<{ messageId: string }>(t.hub, 'telemetry');
    await c.publishAsync('devices/tele/messages/events/%24.mid=abc&%24.ct=application%2Fjson&%24.ce=utf-8&%24.cid=corr-1&unit=%C2%B0C&flag', '{"t":21.5}', { qos: 1 });
    expect((await streamed).messageId).toBe('abc');
    await c.publishAsync('devices/tele/messages/events/', 'plain', { qos: 0 });
    await sleep(50);
    const [first, second] = t.hub.telemetry('tele');
    expect(first).toMatchObject({ deviceId: 'tele', messageId: 'abc', contentType: 'application/json', contentEncoding: 'utf-8', correlationId: 'corr-1', properties: { unit: '°C', flag: null }, json: { t: 21.5 } });
    expect(Date.parse(first.enqueuedTime)).toBeGreaterThan(Date.now() - 10_000);
    expect(second.body).toBe('plain');
    expect(second.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.sequenceNumber).toBe(first.sequenceNumber + 1);
    expect(t.hub.telemetry('tele', 1)).toEqual([second]);
    await c.endAsync();
  });
});

describe('cloud-to-device', () => {
  it('delivers at QoS 1 with $.mid, $.to and custom properties, removed when PUBACKed', async () => {
    const c = await device('c2d-persist', false);
    await c.subscribeAsync(C2D('c2d-persist'), { qos: 1 });
    const got = nextMessage(c);
    const completed = nextEvent<{ messageId: string }>(t.hub, 'c2d-completed');
    const msg = t.hub.sendC2D('c2d-persist', { body: Buffer.from('hello'), properties: { color: 'red', empty: '', none: null }, messageId: 'm-1' });
    const m = await got;
    expect(m.qos).toBe(1);
    expect(m.payload.toString()).toBe('hello');
    expect(m.topic.startsWith('devices/c2d-persist/messages/devicebound/')).toBe(true);
    const bag = m.topic.slice('devices/c2d-persist/messages/devicebound/'.length);
    expect(bag.split('&')).toEqual(expect.arrayContaining(['%24.mid=m-1', '%24.to=%2Fdevices%2Fc2d-persist%2Fmessages%2FdeviceBound', 'color=red', 'empty=', 'none']));
    expect((await completed).messageId).toBe(msg.messageId);
    expect(t.hub.c2dQueue('c2d-persist')).toHaveLength(0);
    await c.endAsync();
  });

  it('keeps messages across reconnects with CleanSession=0: queued offline and unacknowledged ones', async () => {
    // the previous test left a persisted subscription; messages sent while offline wait
    t.hub.sendC2D('c2d-persist', { body: Buffer.from('while offline') });
    const c = await device('c2d-persist', false);
    withholdAcks(c);
    const m = await nextMessage(c);
    expect(m.payload.toString()).toBe('while offline');
    c.end(true);
    await sleep(100);
    expect(t.hub.c2dQueue('c2d-persist')).toHaveLength(1);
    // reconnect (no explicit subscribe: the session has it) and acknowledge this time
    const again = await device('c2d-persist', false);
    const redelivered = await nextMessage(again);
    expect(redelivered.payload.toString()).toBe('while offline');
    await sleep(100);
    expect(t.hub.c2dQueue('c2d-persist')).toHaveLength(0);
    await again.endAsync();
  });

  it('drops queued messages with CleanSession=1 and delivers only after subscribing', async () => {
    const c = await device('c2d-clean', false);
    await c.subscribeAsync(C2D('c2d-clean'), { qos: 1 });
    await c.endAsync();
    t.hub.sendC2D('c2d-clean', { body: Buffer.from('stale') });
    expect(t.hub.c2dQueue('c2d-clean')).toHaveLength(1);
    const fresh = await device('c2d-clean', true);
    expect(t.hub.c2dQueue('c2d-clean')).toHaveLength(0);
    const none = nextMessage(fresh, () => true, 300).then(() => 'got', () => 'none');
    expect(await none).toBe('none');
    // not subscribed yet in this clean session: the message waits for the subscription
    t.hub.sendC2D('c2d-clean', { body: Buffer.from('new') });
    const got = nextMessage(fresh);
    await fresh.subscribeAsync(C2D('c2d-clean'), { qos: 1 });
    expect((await got).payload.toString()).toBe('new');
    await fresh.endAsync();
  });

  it('refuses the 51st queued message and bodies over 64 KB', () => {
    for (let i = 0; i < 50; i++) t.hub.sendC2D('c2d-limit', { body: Buffer.from(`m${i}`) });
    let error: unknown;
    try {
      t.hub.sendC2D('c2d-limit', { body: Buffer.from('one too many') });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(C2DError);
    expect(error).toMatchObject({ status: 403, errorCode: 403004 });
    expect(t.hub.c2dQueue('c2d-limit')).toHaveLength(50);
    t.hub.createDevice({ deviceId: 'c2d-big' });
    expect(() => t.hub.sendC2D('c2d-big', { body: Buffer.alloc(64 * 1024 + 1) })).toThrow(/MessageTooLarge/);
    t.hub.sendC2D('c2d-big', { body: Buffer.alloc(60 * 1024) });
  });
});

describe('device twin', () => {
  it('answers GET, reported PATCH (204 + $version), pushes desired PATCH, rejects malformed JSON with 400', async () => {
    const c = await device('twin');
    await c.subscribeAsync(['$iothub/twin/res/#', '$iothub/twin/PATCH/properties/desired/#'], { qos: 0 });
    const res = (rid: string) => nextMessage(c, (topic) => topic.includes(`$rid=${rid}`));

    let r = res('1');
    c.publish('$iothub/twin/GET/?$rid=1', '');
    let m = await r;
    expect(m.topic).toBe('$iothub/twin/res/200/?$rid=1');
    expect(JSON.parse(m.payload.toString())).toEqual({ desired: { $version: 1 }, reported: { $version: 1 } });

    r = res('2');
    c.publish('$iothub/twin/PATCH/properties/reported/?$rid=2', JSON.stringify({ interval: 10, sensors: { a: 1 } }));
    m = await r;
    expect(m.topic).toBe('$iothub/twin/res/204/?$rid=2&$version=2');
    expect(m.payload.length).toBe(0);

    r = res('3');
    c.publish('$iothub/twin/PATCH/properties/reported/?$rid=3', JSON.stringify({ sensors: { a: null, b: 2 } }));
    expect((await r).topic).toBe('$iothub/twin/res/204/?$rid=3&$version=3');

    r = res('4');
    c.publish('$iothub/twin/PATCH/properties/reported/?$rid=4', '{not json');
    expect((await r).topic).toMatch(/^\$iothub\/twin\/res\/400\/\?\$rid=4/);

    const desired = nextMessage(c, (topic) => topic.startsWith('$iothub/twin/PATCH/properties/desired/'));
    expect(t.hub.updateDesired('twin', { interval: 30 })).toBe(2);
    m = await desired;
    expect(m.topic).toBe('$iothub/twin/PATCH/properties/desired/?$version=2');
    expect(JSON.parse(m.payload.toString())).toEqual({ interval: 30, $version: 2 });

    r = res('5');
    c.publish('$iothub/twin/GET/?$rid=5', '');
    expect(JSON.parse((await r).payload.toString())).toEqual({ desired: { interval: 30, $version: 2 }, reported: { interval: 10, sensors: { b: 2 }, $version: 3 } });
    const twin = t.hub.twin('twin') as { properties: { reported: Record<string, unknown> } };
    expect(twin.properties.reported.$version).toBe(3);
    await c.endAsync();
  });
});

describe('direct methods', () => {
  it('returns the device response, 504 on timeout and 404 when the device is offline', async () => {
    await expect(t.hub.invokeMethod('meth', 'reboot', null, 1)).rejects.toMatchObject({ status: 404, errorCode: 404103 });
    const c = await device('meth');
    await c.subscribeAsync('$iothub/methods/POST/#', { qos: 0 });
    c.on('message', (topic, payload) => {
      const m = /^\$iothub\/methods\/POST\/([^/]+)\/\?\$rid=(.+)$/.exec(topic);
      if (!m || m[1] !== 'echo') return;
      c.publish(`$iothub/methods/res/201/?$rid=${m[2]}`, JSON.stringify({ echoed: JSON.parse(payload.toString()) }));
    });
    await expect(t.hub.invokeMethod('meth', 'echo', { n: 7 }, 5)).resolves.toEqual({ status: 201, payload: { echoed: { n: 7 } } });
    await expect(t.hub.invokeMethod('meth', 'silent', null, 0.3)).rejects.toMatchObject({ status: 504 });
    await c.endAsync();
    await sleep(50);
    await expect(t.hub.invokeMethod('meth', 'echo', {}, 1)).rejects.toMatchObject({ status: 404 });
  });
});

describe('device deletion', () => {
  it('closes the connection and forgets the session, queue and twin', async () => {
    const key = t.hub.createDevice({ deviceId: 'doomed' }).primaryKey!;
    const c = await connect(deviceOptions(t.hub, 'doomed', key, { clean: false }));
    await c.subscribeAsync(C2D('doomed'), { qos: 1 });
    t.hub.updateDesired('doomed', { a: 1 });
    const gone = new Promise<void>((r) => c.once('close', () => r()));
    expect(await t.hub.deleteDevice('doomed')).toBe(true);
    await gone;
    expect(() => t.hub.sendC2D('doomed', { body: Buffer.from('x') })).toThrow(/not found/);
    const again = t.hub.createDevice({ deviceId: 'doomed' }).primaryKey!;
    t.hub.sendC2D('doomed', { body: Buffer.from('before subscribing') });
    const d = await connect(deviceOptions(t.hub, 'doomed', again, { clean: false }));
    // the old persisted subscription is gone, so nothing arrives until the device subscribes
    expect(await nextMessage(d, () => true, 300).then(() => 'got', () => 'none')).toBe('none');
    expect((t.hub.twin('doomed') as { properties: { desired: { $version: number } } }).properties.desired.$version).toBe(1);
    await d.endAsync();
  });
});
