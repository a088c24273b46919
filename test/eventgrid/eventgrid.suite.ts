/**
 * Shared (Node + XS): src/eventgrid — topic templates, MQTT 5 message properties, and the
 * client over a scripted MQTT layer (what it publishes and subscribes, PUBACK reason codes,
 * request/response replies, close).
 */
import type { Json, Suite } from '../harness';
import { EventGridClient, type EventGridMqtt } from '../../src/eventgrid/client';
import { bagOf, publishProperties, replyProperties } from '../../src/eventgrid/message-properties';
import { commandName, deviceTopics, expandTemplate } from '../../src/eventgrid/topics';
import type { MqttClientEvents, MqttClientOptions } from '../../src/mqtt/client';
import type { Properties, Subscription } from '../../src/mqtt/packets';
import { PUBLISH_REJECTED, type MessageInfo, type PublishOptions } from '../../src/mqtt/session';
import type { TimerId } from '../../src/platform';
import { decodeUtf8Lenient, encodeUtf8 } from '../../src/text/utf8';

interface Sent {
  topic: string;
  payload: string;
  options: PublishOptions;
}

/** Plays the broker: records what the client asks, hands back packet ids, fires events on demand. */
class ScriptedMqtt implements EventGridMqtt {
  options: MqttClientOptions | undefined;
  events: MqttClientEvents = {};
  readonly sent: Sent[] = [];
  readonly subscriptions: Subscription[][] = [];
  started = 0;
  closed = 0;
  reject = false;
  start(): void {
    this.started++;
  }
  publish(topic: string, payload: Uint8Array, options: PublishOptions): number {
    if (this.reject) return PUBLISH_REJECTED;
    this.sent.push({ topic, payload: decodeUtf8Lenient(payload), options });
    return this.sent.length;
  }
  subscribe(subscriptions: Subscription[]): number {
    this.subscriptions.push(subscriptions);
    return 1;
  }
  close(): void {
    this.closed++;
  }
  ack(index: number, reasonCode = 0): void {
    this.events.onPublishAcked?.(index + 1, this.sent[index].options.token, reasonCode);
  }
  deliver(topic: string, payload: string, properties?: Properties, oversize = 0): void {
    const info: MessageInfo = { qos: 1, retain: false, dup: false, oversize, properties };
    this.events.onMessage?.(topic, encodeUtf8(payload), info);
  }
}

function withScripted(topics?: Record<string, string>) {
  const mqtt = new ScriptedMqtt();
  const r = {
    mqtt,
    timers: [] as { fn: () => void }[],
    problems: [] as string[],
    commands: [] as { name: string; payload: string; oversize: number; reply: (s: number, p: string) => void }[],
    messages: [] as { body: string; props: Record<string, string>; oversize: number }[],
  };
  const client = new EventGridClient(
    { hostName: 'ns.westeurope-1.ts.eventgrid.azure.net', authenticationName: 'thermo-7', tls: { cert: 'CERT', key: 'KEY' }, topics, mqtt: (options, events) => ((mqtt.options = options), (mqtt.events = events), mqtt) },
    {
      clock: { now: () => 0, epochMs: () => 0 },
      timers: { set: (fn): TimerId => r.timers.push({ fn }), clear: () => {} },
      network: { connect: () => { throw new Error('no network in this rig'); } },
      random: { next: () => 0.5 },
    },
    {
      onProblem: (m) => r.problems.push(m),
      onCommand: (name, payload, reply, oversize) => r.commands.push({ name, payload, reply, oversize }),
      onMessage: (body, props, oversize) => r.messages.push({ body: decodeUtf8Lenient(body), props, oversize }),
    },
  );
  return { ...r, client };
}

function hex(bytes: Uint8Array | undefined): string {
  let s = '';
  if (bytes) for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return s;
}

export const suite: Suite = {
  name: 'eventgrid',
  cases: [
    {
      name: 'topic templates expand {deviceId} and ${client.authenticationName}; defaults under devices/{id}/',
      run(t) {
        t.equal(expandTemplate('a/{deviceId}/b/${client.authenticationName}', 'd1'), 'a/d1/b/d1');
        const d = deviceTopics('thermo-7');
        t.equal(d.telemetry, 'devices/thermo-7/telemetry');
        t.equal(d.commandFilter, 'devices/thermo-7/commands/+');
        t.equal(d.messages, 'devices/thermo-7/messages');
        t.equal(d.state, 'devices/thermo-7/state');
        const custom = deviceTopics('x', { telemetry: 'plant/${client.authenticationName}/temp', commands: 'cmd/{deviceId}' });
        t.equal(custom.telemetry, 'plant/x/temp');
        t.equal(custom.commandFilter, 'cmd/x/+');
        return [d.telemetry, d.commandFilter, custom.telemetry, custom.commandFilter] as Json;
      },
    },
    {
      name: 'bad templates and names are refused with TopicTemplateError naming the template',
      run(t) {
        t.throws(() => deviceTopics('x', { telemetry: 'devices/+/telemetry' }), /telemetry topic template "devices\/\+\/telemetry"/);
        t.throws(() => deviceTopics('x', { telemetry: 'devices/{device}/t' }), /unknown variable/);
        t.throws(() => deviceTopics('x', { state: '' }), /state topic template/);
        t.throws(() => deviceTopics('a/b'), /cannot be a topic level/);
        t.throws(() => deviceTopics('a#'), /cannot be a topic level/);
        t.throws(() => deviceTopics(''), /cannot be a topic level/);
      },
    },
    {
      name: 'command names: the one level under the commands topic',
      run(t) {
        const d = deviceTopics('thermo-7');
        t.equal(commandName(d, 'devices/thermo-7/commands/getStats'), 'getStats');
        t.equal(commandName(d, 'devices/thermo-7/commands/'), undefined);
        t.equal(commandName(d, 'devices/thermo-7/commands/a/b'), undefined);
        t.equal(commandName(d, 'devices/thermo-8/commands/getStats'), undefined);
        t.equal(commandName(d, 'devices/thermo-7/commandsX/getStats'), undefined);
      },
    },
    {
      name: 'message properties: content type, UTF-8 indicator, user properties in order; received ones back to a bag',
      run(t) {
        const p = publishProperties({ '$.ct': 'application/json', '$.ce': 'utf-8', type: 'alert', sensor: '28FF' });
        t.equal(p.contentType, 'application/json');
        t.equal(p.payloadFormatIndicator, true);
        t.equal(JSON.stringify(p.userProperties), '[["type","alert"],["sensor","28FF"]]');
        const other = publishProperties({ '$.ce': 'gzip' });
        t.equal(other.payloadFormatIndicator, undefined);
        t.equal(JSON.stringify(other.userProperties), '[["$.ce","gzip"]]');
        t.equal(publishProperties({}).userProperties, undefined);
        const bag = bagOf({ contentType: 'text/plain', userProperties: [['sender', 'a'], ['sender', 'b'], ['command', 'clear']] });
        t.equal(JSON.stringify(bag), '{"sender":"b","command":"clear","$contentType":"text/plain"}');
        t.equal(JSON.stringify(bagOf(undefined)), '{}');
        const reply = replyProperties(new Uint8Array([1, 2]), 404);
        t.equal(JSON.stringify(reply.userProperties), '[["status","404"]]');
        return bag as Json;
      },
    },
    {
      name: 'client: MQTT 5, user name = authentication name, TLS 1.2 floor and server name; subscribes once to commands and messages',
      run(t) {
        const r = withScripted();
        const o = r.mqtt.options!;
        t.equal(o.protocolVersion, 5);
        t.equal(o.username, 'thermo-7');
        t.equal(o.clientId, 'thermo-7');
        t.equal(o.password, undefined);
        t.equal(o.port, 8883);
        t.equal(o.host, 'ns.westeurope-1.ts.eventgrid.azure.net');
        t.equal(o.tls?.serverName, 'ns.westeurope-1.ts.eventgrid.azure.net');
        t.equal(o.tls?.minVersion, 'TLSv1.2');
        t.equal(o.tls?.cert, 'CERT');
        r.client.start();
        r.client.start();
        t.equal(r.mqtt.started, 2);
        t.equal(JSON.stringify(r.mqtt.subscriptions), '[[{"topicFilter":"devices/thermo-7/commands/+","qos":1},{"topicFilter":"devices/thermo-7/messages","qos":1}]]');
        return r.mqtt.subscriptions as unknown as Json;
      },
    },
    {
      name: 'client: telemetry QoS 1 with properties; PUBACK 0 and 0x10 acknowledge, 0x87 refuses with the topic',
      run(t) {
        const r = withScripted();
        const done: string[] = [];
        r.client.sendTelemetry('{"a":1}', { '$.ct': 'application/json', type: 'telemetry' }, (e) => done.push(e ?? 'ok'));
        r.client.sendTelemetry('{"a":2}', {}, (e) => done.push(e ?? 'ok'));
        r.client.sendState('{"firmware":"1"}', (e) => done.push(e ?? 'ok'));
        t.equal(r.mqtt.sent[0].topic, 'devices/thermo-7/telemetry');
        t.equal(r.mqtt.sent[0].options.qos, 1);
        t.equal(r.mqtt.sent[0].options.properties?.contentType, 'application/json');
        t.equal(JSON.stringify(r.mqtt.sent[0].options.properties?.userProperties), '[["type","telemetry"]]');
        t.equal(r.mqtt.sent[2].topic, 'devices/thermo-7/state');
        t.equal(done.length, 0);
        r.mqtt.ack(0, 0);
        r.mqtt.ack(2, 0x10);
        r.mqtt.ack(1, 0x87);
        r.mqtt.ack(1, 0);
        t.equal(done.length, 3);
        t.equal(done[0], 'ok');
        t.equal(done[1], 'ok');
        t.ok(/devices\/thermo-7\/telemetry: 0x87 Not authorized \(outside the client's topic spaces\)/.test(done[2]), done[2]);
        t.equal(r.problems.length, 1);
        return done as Json;
      },
    },
    {
      name: 'client: a send the session cannot take fails later (on a timer), never inside the caller',
      run(t) {
        const r = withScripted();
        r.mqtt.reject = true;
        const done: string[] = [];
        r.client.sendTelemetry('{}', {}, (e) => done.push(e ?? 'ok'));
        t.equal(done.length, 0);
        t.equal(r.timers.length, 1);
        r.timers[0].fn();
        t.equal(done[0], 'the MQTT queue is full');
      },
    },
    {
      name: 'client: a command is answered once on its response topic with its correlation data (copied) and status',
      run(t) {
        const r = withScripted();
        const correlation = new Uint8Array([0xca, 0xfe]);
        r.mqtt.deliver('devices/thermo-7/commands/getStats', '{"x":1}', { responseTopic: 'devices/thermo-7/replies/9', correlationData: correlation });
        correlation[0] = 0; // the session reuses its buffers: the reply must not see this
        t.equal(r.commands.length, 1);
        t.equal(r.commands[0].name, 'getStats');
        t.equal(r.commands[0].payload, '{"x":1}');
        r.commands[0].reply(200, '{"ok":true}');
        r.commands[0].reply(500, '{}');
        t.equal(r.mqtt.sent.length, 1);
        const s = r.mqtt.sent[0];
        t.equal(s.topic, 'devices/thermo-7/replies/9');
        t.equal(s.payload, '{"ok":true}');
        t.equal(hex(s.options.properties?.correlationData), 'cafe');
        t.equal(JSON.stringify(s.options.properties?.userProperties), '[["status","200"]]');
        t.equal(s.options.properties?.contentType, 'application/json');
        return [s.topic, hex(s.options.properties?.correlationData)] as Json;
      },
    },
    {
      name: 'client: a command without a response topic is reported; oversize commands come without payload; stray topics are reported',
      run(t) {
        const r = withScripted();
        r.mqtt.deliver('devices/thermo-7/commands/identify', '{}');
        r.commands[0].reply(200, '{}');
        t.equal(r.mqtt.sent.length, 0);
        t.ok(/command identify has no response topic/.test(r.problems[0]), r.problems[0]);
        r.mqtt.deliver('devices/thermo-7/commands/getStats', '', { responseTopic: 'r' }, 70000);
        t.equal(r.commands[1].oversize, 70000);
        r.mqtt.deliver('somewhere/else', 'x');
        t.ok(/matches no device topic/.test(r.problems[1]), r.problems[1]);
      },
    },
    {
      name: 'client: display messages arrive with their user properties; close fails what waits',
      run(t) {
        const r = withScripted();
        r.mqtt.deliver('devices/thermo-7/messages', 'Hi', { userProperties: [['sender', 'ops']] });
        t.equal(JSON.stringify(r.messages), '[{"body":"Hi","props":{"sender":"ops"},"oversize":0}]');
        const done: string[] = [];
        r.client.sendTelemetry('{}', {}, (e) => done.push(e ?? 'ok'));
        r.client.close();
        t.equal(r.mqtt.closed, 1);
        t.equal(done[0], 'the client was closed');
        r.mqtt.ack(0, 0);
        t.equal(done.length, 1);
      },
    },
  ],
};
