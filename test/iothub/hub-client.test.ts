/**
 * HubClient over a fake MQTT layer, in simulated time: identity and connect options, SAS at
 * connect and renewal at 80% by a planned reconnect, telemetry, C2D, twin ordering and
 * resync, methods (404, 500, 504).
 */
import { createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { HubClient, HubError, type DesiredUpdate, type HubClientOptions } from '../../src/iothub/hub-client';
import { rootCaPems } from '../../src/iothub/root-cas';
import { SasError } from '../../src/iothub/sas';
import { DEVICE_KEY_B64 } from './protocol.suite';
import { FakeMqtt, SimTime, settle } from './sim';

const CS = `HostName=myhub.azure-devices.net;DeviceId=thermo-01;SharedAccessKey=${DEVICE_KEY_B64}`;

let time: SimTime;
let fake: FakeMqtt | undefined;

function makeClient(extra: Partial<HubClientOptions> = {}): { client: HubClient; mqtt: FakeMqtt } {
  const client = new HubClient(
    {
      connectionString: CS,
      mqtt: (o, e) => (fake = new FakeMqtt(o, e)),
      ...extra,
    },
    time.host(),
  );
  return { client, mqtt: fake! };
}

/** Starts and connects, answering the initial twin resync with `desired`. */
async function connected(desired: Record<string, unknown> = { $version: 1 }, extra: Partial<HubClientOptions> = {}) {
  const made = makeClient(extra);
  const updates: DesiredUpdate[] = [];
  made.client.onDesired((u) => updates.push(u));
  made.client.start();
  made.mqtt.connect();
  made.mqtt.deliver(`$iothub/twin/res/200/?$rid=${made.mqtt.lastRid('$iothub/twin/GET/')}`, { desired, reported: { $version: 1 } });
  await settle();
  return { ...made, updates };
}

function expectedToken(expiry: number): string {
  const sr = encodeURIComponent('myhub.azure-devices.net/devices/thermo-01');
  const sig = createHmac('sha256', Buffer.from(DEVICE_KEY_B64, 'base64')).update(`${sr}\n${expiry}`).digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiry}`;
}

beforeEach(() => {
  time = new SimTime();
  fake = undefined;
});

describe('HubClient connection', () => {
  it('connects with IoT Hub identity, CleanSession=0, keepalive 240, the bundled roots and 4 subscriptions', () => {
    const { client, mqtt } = makeClient();
    client.start();
    const o = mqtt.options;
    expect(o.clientId).toBe('thermo-01');
    expect(o.username).toBe('myhub.azure-devices.net/thermo-01/?api-version=2021-04-12');
    expect(o.cleanSession).toBe(false);
    expect(o.keepAlive).toBe(240);
    expect(o.host).toBe('myhub.azure-devices.net');
    expect(o.port).toBe(8883);
    expect(o.tls?.ca).toEqual(rootCaPems());
    expect(o.tls?.minVersion).toBe('TLSv1.2');
    expect(mqtt.subscribeCalls[0]).toEqual([
      { topicFilter: 'devices/thermo-01/messages/devicebound/#', qos: 1 },
      { topicFilter: '$iothub/twin/res/#', qos: 0 },
      { topicFilter: '$iothub/twin/PATCH/properties/desired/#', qos: 0 },
      { topicFilter: '$iothub/methods/POST/#', qos: 0 },
    ]);
    mqtt.connect();
    const expiry = Date.UTC(2025, 0, 1) / 1000 + 3600;
    expect(mqtt.passwords).toEqual([expectedToken(expiry)]);
  });

  it('uses the gateway for the connection but the hub name in the username; modules get their client id', () => {
    const { mqtt } = makeClient({
      connectionString: `HostName=myhub.azure-devices.net;DeviceId=d1;ModuleId=m1;GatewayHostName=edge.local;SharedAccessKey=${DEVICE_KEY_B64}`,
    });
    expect(mqtt.options.host).toBe('edge.local');
    expect(mqtt.options.clientId).toBe('d1/m1');
    expect(mqtt.options.username).toBe('myhub.azure-devices.net/d1/m1/?api-version=2021-04-12');
    // Modules have no C2D: three subscriptions.
    expect(mqtt.subscribeCalls[0].map((s) => s.topicFilter)).not.toContain('devices/d1/messages/devicebound/#');
    expect(mqtt.subscribeCalls[0]).toHaveLength(3);
  });

  it('X.509: client certificate in TLS, no password, no renewal', async () => {
    const { client, mqtt } = makeClient({
      connectionString: 'HostName=myhub.azure-devices.net;DeviceId=thermo-01;x509=true',
      x509: { cert: 'CERT-PEM', key: 'KEY-PEM' },
    });
    expect(mqtt.options.password).toBeUndefined();
    expect(mqtt.options.tls).toMatchObject({ cert: 'CERT-PEM', key: 'KEY-PEM' });
    time.epochAtZero = undefined; // X.509 does not need the SAS clock check
    client.start();
    mqtt.connect();
    await time.advance(10 * 3600_000);
    expect(mqtt.reconnects).toBe(0);
  });

  it('refuses bad configuration clearly', () => {
    expect(() => makeClient({ keepAliveS: 1178 })).toThrow(/1177/);
    expect(() => makeClient({ connectionString: 'HostName=h.example.net;DeviceId=d;x509=true' })).toThrow(/options.x509/);
    expect(() => makeClient({ sasLifetimeS: 5 })).toThrow(HubError);
  });

  it('refuses to start with SAS while the real-time clock is not synced', () => {
    time.epochAtZero = undefined;
    const { client, mqtt } = makeClient();
    expect(() => client.start()).toThrow(SasError);
    expect(() => client.start()).toThrow(/not synchronized/);
    expect(mqtt.state).toBe('idle');
  });
});

describe('HubClient SAS renewal', () => {
  it('reconnects with a new token at 80% of the lifetime, keeping in-flight telemetry', async () => {
    const { client, mqtt } = await connected({ $version: 1 }, { sasLifetimeS: 1000 });
    const results: string[] = [];
    const first = client.sendTelemetry('{"t":21.5}').then(() => results.push('first'));
    await time.advance(799_999);
    expect(mqtt.reconnects).toBe(0);
    const second = client.sendTelemetry('{"t":21.6}').then(() => results.push('second'));
    await time.advance(1);
    expect(mqtt.reconnects).toBe(1); // at 800 s exactly
    // While reconnecting, more telemetry is queued, not refused.
    const third = client.sendTelemetry('{"t":21.7}').then(() => results.push('third'));
    time.now += 2000;
    mqtt.connect(true);
    const epoch0 = Date.UTC(2025, 0, 1) / 1000;
    expect(mqtt.passwords).toEqual([expectedToken(epoch0 + 1000), expectedToken(epoch0 + 802 + 1000)]);
    // The session resends and the hub acknowledges all three.
    mqtt.ack('devices/');
    mqtt.ack('devices/');
    mqtt.ack('devices/');
    await Promise.all([first, second, third]);
    expect(results).toEqual(['first', 'second', 'third']);
    // The next renewal is planned from the new token.
    await time.advance(799_000);
    expect(mqtt.reconnects).toBe(1);
    await time.advance(1_000);
    expect(mqtt.reconnects).toBe(2);
    client.close();
  });

  it('an unplanned reconnect also issues a fresh token and re-plans renewal from it', async () => {
    const { client, mqtt } = await connected({ $version: 1 }, { sasLifetimeS: 1000 });
    await time.advance(500_000);
    mqtt.drop();
    await time.advance(100_000);
    mqtt.connect();
    await time.advance(799_000);
    expect(mqtt.reconnects).toBe(0);
    await time.advance(1_000);
    expect(mqtt.reconnects).toBe(1);
    expect(mqtt.passwords).toHaveLength(2);
    client.close();
  });
});

describe('HubClient telemetry and C2D', () => {
  it('publishes QoS 1, no retain, with the property bag; resolves on PUBACK', async () => {
    const { client, mqtt } = await connected();
    let done = false;
    const p = client.sendTelemetry('{"t":1}', { contentType: 'application/json', contentEncoding: 'utf-8', custom: { alert: 'yes' } }).then(() => (done = true));
    const sent = mqtt.sent('devices/')[0];
    expect(sent.topic).toBe('devices/thermo-01/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&alert=yes');
    expect(sent.payload).toBe('{"t":1}');
    expect(sent.options).toMatchObject({ qos: 1, retain: false });
    await settle();
    expect(done).toBe(false);
    mqtt.ack('devices/');
    await p;
    expect(done).toBe(true);
  });

  it('refuses a message over 256 KB before sending', async () => {
    const { client, mqtt } = await connected();
    const body = new Uint8Array(256 * 1024 - 'devices/thermo-01/messages/events/'.length);
    const fits = client.sendTelemetry(body);
    mqtt.ack('devices/');
    await expect(fits).resolves.toBeUndefined();
    const before = mqtt.published.length;
    await expect(client.sendTelemetry(new Uint8Array(body.length + 1))).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    await expect(client.sendTelemetry(body, { custom: { a: 'b' } })).rejects.toThrow(/at most 262144/);
    expect(mqtt.published.length).toBe(before);
  });

  it('reports a full queue and rejects pending sends on close', async () => {
    const { client, mqtt } = await connected();
    const pending = client.sendTelemetry('x');
    mqtt.rejectPublishes = true;
    await expect(client.sendTelemetry('y')).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    client.close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    expect(mqtt.closed).toBe(true);
  });

  it('delivers C2D messages with a body copy and decoded properties', async () => {
    const { client, mqtt } = await connected();
    const got: { body: string; props: unknown }[] = [];
    client.onC2D((body, props) => got.push({ body: Buffer.from(body).toString(), props }));
    mqtt.deliver('devices/thermo-01/messages/devicebound/%24.mid=m1&%24.to=%2Fdevices%2Fthermo-01%2Fmessages%2FdeviceBound&iothub-ack=full&sender=ops', 'Hello °C');
    expect(got).toEqual([
      { body: 'Hello °C', props: { messageId: 'm1', to: '/devices/thermo-01/messages/deviceBound', ack: 'full', custom: { sender: 'ops' } } },
    ]);
  });
});

describe('HubClient twin', () => {
  it('resyncs with a full GET on connect and delivers desired patches in version order', async () => {
    const { client, mqtt, updates } = await connected({ interval: 10, $version: 5 });
    expect(updates).toEqual([{ version: 5, full: true, desired: { interval: 10 } }]);
    const patch = (v: number, body: object) => mqtt.deliver(`$iothub/twin/PATCH/properties/desired/?$version=${v}`, { ...body, $version: v });
    patch(6, { interval: 20 });
    patch(6, { interval: 20 }); // duplicate
    patch(4, { interval: 1 }); // stale
    expect(updates.slice(1)).toEqual([{ version: 6, full: false, desired: { interval: 20 } }]);
    // A gap (8 before 7): hold it and resync.
    const gets = mqtt.sent('$iothub/twin/GET/').length;
    patch(8, { unit: 'F' });
    expect(mqtt.sent('$iothub/twin/GET/').length).toBe(gets + 1);
    patch(7, { interval: 30 }); // arrives during the resync: held too
    expect(updates).toHaveLength(2);
    mqtt.deliver(`$iothub/twin/res/200/?$rid=${mqtt.lastRid('$iothub/twin/GET/')}`, { desired: { interval: 30, $version: 7 }, reported: {} });
    await settle();
    expect(updates.slice(2)).toEqual([
      { version: 7, full: true, desired: { interval: 30 } },
      { version: 8, full: false, desired: { unit: 'F' } },
    ]);
    expect(client.desiredPropertiesVersion).toBe(8);
  });

  it('resyncs after every reconnect and delivers that full twin whatever its version (a re-created twin restarts at 1)', async () => {
    const { client, mqtt, updates } = await connected({ a: 1, $version: 7 });
    mqtt.drop();
    mqtt.connect(true);
    expect(mqtt.sent('$iothub/twin/GET/')).toHaveLength(2);
    // Re-subscribes even when the session is present.
    expect(mqtt.subscribeCalls).toHaveLength(2);
    mqtt.deliver(`$iothub/twin/res/200/?$rid=${mqtt.lastRid('$iothub/twin/GET/')}`, { desired: { a: 1, $version: 7 }, reported: {} });
    await settle();
    // The same document again: delivered, the application finds nothing to change.
    expect(updates[1]).toEqual({ version: 7, full: true, desired: { a: 1 } });
    mqtt.drop();
    mqtt.connect(true);
    // The twin was deleted and created again on the hub: its versions start over.
    mqtt.deliver(`$iothub/twin/res/200/?$rid=${mqtt.lastRid('$iothub/twin/GET/')}`, { desired: { a: 2, b: 3, $version: 1 }, reported: {} });
    await settle();
    expect(updates[2]).toEqual({ version: 1, full: true, desired: { a: 2, b: 3 } });
    mqtt.deliver('$iothub/twin/PATCH/properties/desired/?$version=2', { b: 4, $version: 2 });
    expect(updates[3]).toEqual({ version: 2, full: false, desired: { b: 4 } });
    expect(client.desiredPropertiesVersion).toBe(2);
  });

  it('a failed resync is retried while connected', async () => {
    const made = makeClient({ resyncRetryMs: 5000 });
    made.client.start();
    made.mqtt.connect();
    made.mqtt.deliver(`$iothub/twin/res/429/?$rid=${made.mqtt.lastRid('$iothub/twin/GET/')}`);
    await settle();
    expect(made.mqtt.sent('$iothub/twin/GET/')).toHaveLength(1);
    await time.advance(5000);
    expect(made.mqtt.sent('$iothub/twin/GET/')).toHaveLength(2);
  });

  it('getTwin and patchReported correlate by $rid, report status and $version, and time out', async () => {
    const { client, mqtt } = await connected({ $version: 1 }, { operationTimeoutMs: 5000 });
    const twin = client.getTwin();
    const patchA = client.patchReported({ firmware: '1.0.0' });
    const patchB = client.patchReported({ interval: 10 });
    const ridA = /\$rid=(\w+)/.exec(mqtt.sent('$iothub/twin/PATCH/properties/reported/')[0].topic)![1];
    const ridB = mqtt.lastRid('$iothub/twin/PATCH/properties/reported/');
    expect(mqtt.sent('$iothub/twin/PATCH/properties/reported/')[0].payload).toBe('{"firmware":"1.0.0"}');
    // Answers out of order.
    mqtt.deliver(`$iothub/twin/res/400/?$rid=${ridB}`, '{"message":"bad"}');
    mqtt.deliver(`$iothub/twin/res/204/?$rid=${ridA}&$version=7`);
    await expect(patchA).resolves.toEqual({ status: 204, version: 7 });
    await expect(patchB).rejects.toMatchObject({ code: 'TWIN_ERROR', status: 400 });
    const rejected = expect(twin).rejects.toMatchObject({ code: 'TIMEOUT' });
    await time.advance(5000);
    await rejected;
    // A late answer for a timed-out request is ignored.
    mqtt.deliver(`$iothub/twin/res/200/?$rid=${mqtt.lastRid('$iothub/twin/GET/')}`, { desired: {}, reported: {} });
  });
});

describe('HubClient methods', () => {
  function methodResponses(mqtt: FakeMqtt) {
    return mqtt.sent('$iothub/methods/res/').map((p) => ({ topic: p.topic, payload: JSON.parse(p.payload) }));
  }

  it('answers unknown methods 404 and known ones with the handler result', async () => {
    const { client, mqtt } = await connected();
    client.onMethod('setInterval', (payload) => ({ status: 200, payload: { accepted: payload } }));
    mqtt.deliver('$iothub/methods/POST/reboot/?$rid=1', 'null');
    mqtt.deliver('$iothub/methods/POST/setInterval/?$rid=2', { seconds: 30 });
    expect(methodResponses(mqtt)).toEqual([
      { topic: '$iothub/methods/res/404/?$rid=1', payload: { error: "method 'reboot' is not implemented by this device" } },
      { topic: '$iothub/methods/res/200/?$rid=2', payload: { accepted: { seconds: 30 } } },
    ]);
    expect(mqtt.sent('$iothub/methods/res/').every((p) => p.options.qos === 1 && p.options.retain === false)).toBe(true);
  });

  it('async handlers answer when they resolve; slow ones get 504 once; throwing ones 500', async () => {
    const { client, mqtt } = await connected({ $version: 1 }, { methodTimeoutMs: 1000 });
    client.onMethod('slow', () => new Promise((resolve) => time.timerApi.set(() => resolve({ status: 200, payload: 'late' }), 5000)));
    client.onMethod('quick', async () => ({ status: 201 }));
    client.onMethod('broken', () => { throw new Error('sensor bus fault'); });
    mqtt.deliver('$iothub/methods/POST/slow/?$rid=a');
    mqtt.deliver('$iothub/methods/POST/quick/?$rid=b');
    mqtt.deliver('$iothub/methods/POST/broken/?$rid=c');
    await settle();
    await time.advance(999);
    expect(methodResponses(mqtt)).toEqual([
      { topic: '$iothub/methods/res/500/?$rid=c', payload: { error: "method 'broken' failed: sensor bus fault" } },
      { topic: '$iothub/methods/res/201/?$rid=b', payload: null },
    ]);
    await time.advance(1);
    await time.advance(10_000);
    const slow = methodResponses(mqtt).filter((r) => r.topic.endsWith('$rid=a'));
    expect(slow).toEqual([{ topic: '$iothub/methods/res/504/?$rid=a', payload: { error: "method 'slow' did not answer within 1000 ms" } }]);
  });
});
