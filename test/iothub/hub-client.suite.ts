/**
 * Shared (Node + XS): the HubClient itself runs in XS. Covers its synchronous paths over a
 * fake MQTT layer (connect options, SAS password, telemetry topic, C2D, method answers,
 * desired patches held until the resync); the asynchronous ones are in hub-client.test.ts.
 * The expected token was computed with node:crypto (createHmac) and encodeURIComponent.
 */
import type { Json, Suite } from '../harness';
import type { MqttClientEvents, MqttClientOptions } from '../../src/mqtt/client';
import type { Subscription } from '../../src/mqtt/packets';
import type { PublishOptions } from '../../src/mqtt/session';
import { HubClient, type HubMqtt } from '../../src/iothub/hub-client';
import { decodeUtf8OrThrow, encodeUtf8 } from '../../src/text/utf8';
import { DEVICE_KEY_B64 } from './protocol.suite';
import { testCrypto } from './sha256';

class TinyMqtt implements HubMqtt {
  state: 'idle' | 'connecting' | 'connected' | 'waiting' = 'idle';
  readonly log: string[] = [];
  password: string | undefined;
  subscriptions: Subscription[] = [];
  constructor(readonly options: MqttClientOptions, readonly events: MqttClientEvents) {}
  start(): void {
    this.state = 'connecting';
  }
  publish(topic: string, payload: Uint8Array, options: PublishOptions): number {
    this.log.push(`${options.qos}${options.retain ? 'R' : ''} ${topic} ${decodeUtf8OrThrow(payload)}`);
    return this.log.length;
  }
  subscribe(subscriptions: Subscription[]): number {
    this.subscriptions = this.subscriptions.concat(subscriptions);
    return 0;
  }
  reconnect(): void {
    this.state = 'connecting';
  }
  close(): void {
    this.state = 'idle';
  }
  connect(): void {
    const p = this.options.password;
    const v = typeof p === 'function' ? p() : p;
    this.password = typeof v === 'string' ? v : undefined;
    this.state = 'connected';
    this.events.onConnected?.(false);
  }
  deliver(topic: string, text: string): void {
    this.events.onMessage?.(topic, encodeUtf8(text), { qos: 0, retain: false, dup: false, oversize: 0 });
  }
}

function setup(): { client: HubClient; mqtt: TinyMqtt; timers: (() => void)[] } {
  let mqtt: TinyMqtt | undefined;
  const timers: (() => void)[] = [];
  const client = new HubClient(
    {
      connectionString: `HostName=myhub.azure-devices.net;DeviceId=thermo-01;SharedAccessKey=${DEVICE_KEY_B64}`,
      mqtt: (o, e) => (mqtt = new TinyMqtt(o, e)),
    },
    {
      clock: { now: () => 0, epochMs: () => 1735689600000 },
      timers: { set: (cb) => timers.push(cb), clear: () => undefined },
      network: { connect: () => { throw new Error('no network in this suite'); } },
      random: { next: () => 0.5 },
      crypto: testCrypto(),
    },
  );
  return { client, mqtt: mqtt!, timers };
}

export const suite: Suite = {
  name: 'iothub/hub-client',
  cases: [
    {
      name: 'publishTelemetry: topic per property set (the same object, another object, new content), UTF-8 bodies, done once per PUBACK, a lone surrogate refused after the call, CLOSED for the waiting ones on close',
      run(t) {
        const { client, mqtt } = setup();
        client.start();
        mqtt.connect();
        const results: string[] = [];
        const done = (error?: Error): void => {
          results.push(error === undefined ? 'ok' : `${(error as { code?: string }).code}`);
        };
        const a = { contentType: 'application/json', contentEncoding: 'utf-8', custom: { type: 'telemetry' } };
        client.publishTelemetry('{"t":1}', a, done);
        client.publishTelemetry('{"t":"caf\u00e9 \u6e29\u5ea6 \ud83d\ude00"}', a, done);
        client.publishTelemetry('{"t":3}', { contentType: 'application/json', custom: { type: 'alert', kind: 'spike' } }, done);
        a.custom.type = 'aggregate'; // a changed object is another set only as a new object: not recognised
        client.publishTelemetry('{"t":4}', { ...a, custom: { type: 'aggregate' } }, done);
        t.equal(mqtt.log.slice(1), [
          '1 devices/thermo-01/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&type=telemetry {"t":1}',
          '1 devices/thermo-01/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&type=telemetry {"t":"caf\u00e9 \u6e29\u5ea6 \ud83d\ude00"}',
          '1 devices/thermo-01/messages/events/%24.ct=application%2Fjson&type=alert&kind=spike {"t":3}',
          '1 devices/thermo-01/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&type=aggregate {"t":4}',
        ]);
        t.equal(results.length, 0, 'nothing told before a PUBACK');
        mqtt.events.onPublishAcked?.(2, done, 0);
        mqtt.events.onPublishAcked?.(3, done, 0);
        mqtt.events.onPublishAcked?.(99, () => results.push('foreign token'), 0);
        t.equal(results.join(), 'ok,ok');
        const published = mqtt.log.length;
        client.publishTelemetry('lone \ud800 surrogate', a, done);
        t.equal(mqtt.log.length, published, 'a lone surrogate is not published');
        t.equal(results.length, 2, 'the refusal comes after the call returns');
        client.close();
        t.equal(results.join(), 'ok,ok,CLOSED,CLOSED', 'the two still waiting are told CLOSED');
        mqtt.events.onPublishAcked?.(4, done, 0);
        t.equal(results.length, 4, 'a PUBACK after close tells nothing more');
        return results.slice(); // (the refusal's INVALID arrives after the case)
      },
    },
    {
      name: 'connect options, subscriptions and the SAS password',
      run(t) {
        const { client, mqtt } = setup();
        client.start();
        mqtt.connect();
        t.equal(mqtt.options.username, 'myhub.azure-devices.net/thermo-01/?api-version=2021-04-12');
        t.equal(mqtt.options.cleanSession, false);
        t.equal(
          mqtt.password,
          'SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fthermo-01&sig=mpdVpsfMa7QMRiJkZlIp5cKhPC%2B1YvyuEby4ltlALhE%3D&se=1735693200',
        );
        t.equal(mqtt.log.length, 1, 'the twin resync GET');
        t.equal(mqtt.log[0], '1 $iothub/twin/GET/?$rid=1 ');
        return [mqtt.options.clientId, mqtt.options.keepAlive ?? null, mqtt.subscriptions.map((s) => `${s.qos} ${s.topicFilter}`)] as Json;
      },
    },
    {
      name: 'telemetry, C2D, methods and held desired patches',
      run(t) {
        const { client, mqtt } = setup();
        client.start();
        mqtt.connect();
        void client.sendTelemetry('{"t":21.5}', { contentType: 'application/json', contentEncoding: 'utf-8' });
        t.equal(mqtt.log[1], '1 devices/thermo-01/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8 {"t":21.5}');
        const c2d: string[] = [];
        client.onC2D((body, props) => c2d.push(`${decodeUtf8OrThrow(body)}|${props.messageId}|${JSON.stringify(props.custom)}`));
        mqtt.deliver('devices/thermo-01/messages/devicebound/%24.mid=9&who=ops', 'hi');
        t.equal(c2d[0], 'hi|9|{"who":"ops"}');
        client.onMethod('echo', (payload) => ({ status: 200, payload }));
        mqtt.deliver('$iothub/methods/POST/echo/?$rid=5', '{"a":[1,2]}');
        mqtt.deliver('$iothub/methods/POST/nope/?$rid=6', '');
        t.equal(mqtt.log[2], '1 $iothub/methods/res/200/?$rid=5 {"a":[1,2]}');
        t.equal(mqtt.log[3], `1 $iothub/methods/res/404/?$rid=6 {"error":"method 'nope' is not implemented by this device"}`);
        const desired: number[] = [];
        client.onDesired((u) => desired.push(u.version));
        mqtt.deliver('$iothub/twin/PATCH/properties/desired/?$version=3', '{"x":1,"$version":3}');
        t.equal(desired.length, 0, 'held until the resync answers');
        return mqtt.log;
      },
    },
  ],
};
