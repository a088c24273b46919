/**
 * Device client for Azure Event Grid's MQTT broker (a namespace with MQTT enabled), on the
 * sans-IO MQTT 5.0 client of ../mqtt.
 *
 * Connection (https://learn.microsoft.com/azure/event-grid/mqtt-support): MQTT 5.0 over TLS 1.2+
 * to the namespace's MQTT hostname (`{namespace}.{region}-1.ts.eventgrid.azure.net`) on 8883.
 * Authentication is the TLS client certificate; the client authentication name goes in the
 * CONNECT packet's User Name, as "MQTT client authentication using certificates" recommends
 * (https://learn.microsoft.com/azure/event-grid/mqtt-client-certificate-authentication: "include
 * the client authentication name in the username field of the client's connect packet"). The
 * Client Identifier is the session name (default: the authentication name). No password.
 *
 * Topics come from templates (./topics). Telemetry and state are QoS 1; the broker's PUBACK
 * reason code says whether it took them: 0x87 Not authorized is a publish outside the client's
 * topic spaces (permission bindings), reported with the topic. Commands arrive on
 * `<commands>/<name>` and are answered on the request's Response Topic with its Correlation Data
 * (MQTT 5.0, 4.10). Messages for the display arrive on the messages topic.
 *
 * Sends keep their callback until the PUBACK: unacknowledged publishes stay in the MQTT session
 * across reconnects (resent with DUP), so a callback fires with an error only when the broker
 * refuses the message or the client is closed.
 */
import type { Clock, Network, Random, TimerId, Timers, TlsOptions } from '../platform';
import { MqttClient, type ClientError, type DisconnectReason, type MqttClientEvents, type MqttClientOptions } from '../mqtt/client';
import type { BackoffOptions } from '../mqtt/backoff';
import type { Properties, Subscription, SubackCode } from '../mqtt/packets';
import { describeReasonCode } from '../mqtt/reason-codes';
import { PUBLISH_QUEUED, PUBLISH_REJECTED, type MessageInfo, type PublishOptions } from '../mqtt/session';
import { decodeUtf8Lenient, encodeUtf8 } from '../text/utf8';
import { bagOf, publishProperties, replyProperties, type PropertyBag } from './message-properties';
import { commandName, deviceTopics, type DeviceTopics, type TopicTemplates } from './topics';

/** Event Grid's MQTT port. */
export const EVENT_GRID_PORT = 8883;

export interface EventGridOptions {
  /** The namespace's MQTT hostname: dialled, and the TLS server name. */
  hostName: string;
  /** Address dialled instead of hostName (which stays the TLS server name), e.g. a local broker. */
  host?: string;
  /** Default 8883. */
  port?: number;
  /** The client authentication name registered in the namespace (sent as User Name). */
  authenticationName: string;
  /** MQTT Client Identifier (Event Grid's session name). Default: the authentication name. */
  clientId?: string;
  /**
   * TLS: `cert` and `key` (PEM) are the client certificate; `ca` the roots that verify the
   * broker (absent: the host's default trust). TLS 1.2 is the floor whatever is given.
   */
  tls: TlsOptions;
  topics?: TopicTemplates;
  /** Seconds; default 60 (Event Grid takes up to 1160). */
  keepAlive?: number;
  /** Seconds the broker keeps the session (and queued commands) while the device is away; default 3600. */
  sessionExpiryInterval?: number;
  /** Larger PUBLISHes arrive without payload (a command gets 413, a message is reported). */
  maxIncomingPacketSize?: number;
  backoff?: BackoffOptions;
  /** Test seam: the MQTT layer (default: ../mqtt/client over host.network). */
  mqtt?: EventGridMqttFactory;
}

/** The part of MqttClient the Event Grid client uses. */
export interface EventGridMqtt {
  start(): void;
  publish(topic: string, payload: Uint8Array, options: PublishOptions): number;
  subscribe(subscriptions: Subscription[]): number;
  close(): void;
}

export type EventGridMqttFactory = (options: MqttClientOptions, events: MqttClientEvents) => EventGridMqtt;

export interface EventGridHost {
  clock: Clock;
  timers: Timers;
  network: Network;
  random: Random;
}

/** Answers a command: status (HTTP-like) and a JSON text payload. */
export type CommandReply = (status: number, payload: string) => void;

export interface EventGridEvents {
  onConnected?(): void;
  onDisconnected?(reason: DisconnectReason): void;
  /** A connection attempt failed (TLS, refused CONNACK, transport). */
  onConnectError?(error: ClientError): void;
  /** A command `name` with its payload text ('' when empty); `oversize` > 0: it was too large and has no payload. */
  onCommand?(name: string, payload: string, reply: CommandReply, oversize: number): void;
  /** A message for the display; `body` is the caller's to keep. */
  onMessage?(body: Uint8Array, properties: PropertyBag, oversize: number): void;
  /** Something the broker refused or sent that the device cannot take (reported, not fatal). */
  onProblem?(message: string): void;
}

type Done = (error?: string) => void;

export class EventGridClient {
  readonly topics: DeviceTopics;
  private readonly mqtt: EventGridMqtt;
  private readonly pending = new Map<number, { done: Done; topic: string }>();
  private nextToken = 1;
  private subscribed = false;

  constructor(options: EventGridOptions, private readonly host: EventGridHost, private readonly events: EventGridEvents = {}) {
    this.topics = deviceTopics(options.authenticationName, options.topics);
    const mqttOptions: MqttClientOptions = {
      protocolVersion: 5,
      host: options.host ?? options.hostName,
      port: options.port ?? EVENT_GRID_PORT,
      tls: { ...options.tls, serverName: options.tls.serverName ?? options.hostName, minVersion: options.tls.minVersion ?? 'TLSv1.2' },
      clientId: options.clientId ?? options.authenticationName,
      username: options.authenticationName,
      cleanSession: false,
      sessionExpiryInterval: options.sessionExpiryInterval ?? 3600,
      keepAlive: options.keepAlive ?? 60,
      maxIncomingPacketSize: options.maxIncomingPacketSize,
      backoff: options.backoff,
    };
    const mqttEvents: MqttClientEvents = {
      onConnected: () => this.events.onConnected?.(),
      onDisconnected: (reason) => this.events.onDisconnected?.(reason),
      onError: (error) => this.events.onConnectError?.(error),
      onMessage: (topic, payload, info) => this.received(topic, payload, info),
      onPublishAcked: (_id, token, reasonCode) => this.acked(token, reasonCode),
      onSubscribed: (_id, granted) => this.subscriptionsAcked(granted),
    };
    this.mqtt = options.mqtt ? options.mqtt(mqttOptions, mqttEvents) : new MqttClient(mqttOptions, host, mqttEvents);
  }

  /** Starts connecting (and reconnecting until close). Subscribes once; the session resubscribes. */
  start(): void {
    if (!this.subscribed) {
      this.subscribed = true;
      this.mqtt.subscribe([
        { topicFilter: this.topics.commandFilter, qos: 1 },
        { topicFilter: this.topics.messages, qos: 1 },
      ]);
    }
    this.mqtt.start();
  }

  /** Disconnects; every send still waiting gets an error. */
  close(): void {
    this.mqtt.close();
    const waiting = Array.from(this.pending.values());
    this.pending.clear();
    for (const p of waiting) p.done('the client was closed');
  }

  /** Telemetry (JSON text) on the telemetry topic, QoS 1; `done` after the PUBACK. */
  sendTelemetry(body: string, bag: PropertyBag, done: Done): void {
    this.send(this.topics.telemetry, body, publishProperties(bag), done);
  }

  /** A reported-state document on the state topic, QoS 1. */
  sendState(body: string, done: Done): void {
    this.send(this.topics.state, body, { contentType: 'application/json', payloadFormatIndicator: true }, done);
  }

  private send(topic: string, body: string, properties: Properties, done: Done): void {
    const token = this.nextToken++;
    this.pending.set(token, { done, topic });
    const result = this.mqtt.publish(topic, encodeUtf8(body), { qos: 1, token, properties });
    if (result > 0 || result === PUBLISH_QUEUED) return;
    this.pending.delete(token);
    // Later, never inside the caller's send loop.
    this.defer(() => done(result === PUBLISH_REJECTED ? 'the MQTT queue is full' : `the message cannot be sent on ${topic} (invalid or too large)`));
  }

  private defer(fn: () => void): TimerId {
    return this.host.timers.set(fn, 0);
  }

  private acked(token: unknown, reasonCode: number): void {
    if (typeof token !== 'number') return;
    const p = this.pending.get(token);
    if (!p) return;
    this.pending.delete(token);
    if (reasonCode < 0x80) {
      p.done();
      return;
    }
    const why = `the broker refused the publish on ${p.topic}: ${describeReasonCode(reasonCode)}${reasonCode === 0x87 ? ' (outside the client\'s topic spaces)' : ''}`;
    this.events.onProblem?.(why);
    p.done(why);
  }

  private subscriptionsAcked(granted: SubackCode[]): void {
    const filters = [this.topics.commandFilter, this.topics.messages];
    for (let i = 0; i < granted.length; i++) {
      if (granted[i] >= 0x80) this.events.onProblem?.(`the broker refused the subscription to ${filters[i] ?? '?'}: ${describeReasonCode(granted[i])}`);
    }
  }

  private received(topic: string, payload: Uint8Array, info: MessageInfo): void {
    if (topic === this.topics.messages) {
      this.events.onMessage?.(payload.slice(), bagOf(info.properties), info.oversize);
      return;
    }
    const name = commandName(this.topics, topic);
    if (name === undefined) {
      this.events.onProblem?.(`a message on ${topic.slice(0, 120)} matches no device topic; ignored`);
      return;
    }
    const reply = this.replyTo(name, info.properties);
    this.events.onCommand?.(name, info.oversize > 0 ? '' : decodeUtf8Lenient(payload), reply, info.oversize);
  }

  /** The reply function of a request: once, on its Response Topic with its Correlation Data. */
  private replyTo(name: string, request: Properties | undefined): CommandReply {
    const responseTopic = request?.responseTopic;
    // Copied now: the session reuses the request's properties for the next message.
    const correlation = request?.correlationData?.slice();
    let answered = false;
    return (status, payload) => {
      if (answered) return;
      answered = true;
      if (responseTopic === undefined) {
        this.events.onProblem?.(`command ${name} has no response topic: done, not answered`);
        return;
      }
      this.send(responseTopic, payload, replyProperties(correlation, status), (error) => {
        if (error !== undefined) this.events.onProblem?.(`the reply to command ${name}: ${error}`);
      });
    };
  }
}
