/**
 * The cloud side of the Event Grid profile, for the simulator's dashboard and the tests: one
 * MQTT 5 client (the project's own, src/mqtt, over Node's TLS) with the service's certificate.
 * It receives every device's telemetry and state, sends display messages, and invokes commands
 * through MQTT 5 request/response: the request carries a Response Topic under the device's
 * space (devices/{id}/replies/{n}) and Correlation Data; the device's reply comes back there.
 */
import { MqttClient } from '../../src/mqtt/client';
import type { Properties } from '../../src/mqtt/packets';
import { nodeClock, nodeRandom, nodeTimers } from '../../hosts/node/host';
import { NodeNetwork } from '../../hosts/node/network';
import type { EventGridBroker } from './broker';

export interface ReceivedMessage {
  deviceId: string;
  kind: 'telemetry' | 'state' | 'reply';
  topic: string;
  body: string;
  properties: Properties | undefined;
}

export interface CommandResult {
  status: number;
  payload: unknown;
}

export interface EventGridService {
  /** Every telemetry and state message so far, in arrival order. */
  readonly received: ReceivedMessage[];
  /** Resolves once subscribed. */
  ready: Promise<void>;
  invoke(deviceId: string, name: string, payload: unknown, timeoutMs?: number): Promise<CommandResult>;
  /** Publishes a display message (user properties: sender, command). */
  sendMessage(deviceId: string, text: string, userProperties?: Record<string, string>): void;
  onMessage(listener: (m: ReceivedMessage) => void): () => void;
  close(): void;
}

const TOPIC = /^devices\/([^/]+)\/(telemetry|state|replies\/([^/]+))$/;

export function connectService(broker: EventGridBroker): EventGridService {
  const received: ReceivedMessage[] = [];
  const listeners = new Set<(m: ReceivedMessage) => void>();
  const waiting = new Map<string, (r: CommandResult) => void>();
  let next = 1;
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const client = new MqttClient(
    {
      protocolVersion: 5,
      host: broker.host,
      port: broker.port,
      tls: { ca: [broker.caPem], serverName: broker.hostName, cert: broker.service.certPem, key: broker.service.keyPem },
      clientId: broker.service.authenticationName,
      username: broker.service.authenticationName,
      backoff: { minMs: 200, maxMs: 2000 },
    },
    { clock: nodeClock, timers: nodeTimers, network: new NodeNetwork(), random: nodeRandom },
    {
      onSubscribed: () => onReady(),
      onMessage(topic, payload, info) {
        const m = TOPIC.exec(topic);
        if (!m) return;
        const body = Buffer.from(payload).toString('utf8');
        if (m[3] !== undefined) {
          const correlation = info.properties?.correlationData ? Buffer.from(info.properties.correlationData).toString('utf8') : '';
          const resolve = waiting.get(correlation);
          if (resolve) {
            waiting.delete(correlation);
            const status = (info.properties?.userProperties ?? []).find((p) => p[0] === 'status');
            let parsed: unknown = body;
            try {
              parsed = JSON.parse(body);
            } catch {
              // not JSON: the text itself
            }
            resolve({ status: status ? Number(status[1]) : 0, payload: parsed });
          }
        }
        const message: ReceivedMessage = { deviceId: m[1], kind: m[3] !== undefined ? 'reply' : (m[2] as 'telemetry' | 'state'), topic, body, properties: info.properties && { ...info.properties } };
        if (message.kind !== 'reply') received.push(message);
        for (const l of listeners) l(message);
      },
    },
  );
  client.subscribe([
    { topicFilter: 'devices/+/telemetry', qos: 1 },
    { topicFilter: 'devices/+/state', qos: 1 },
    { topicFilter: 'devices/+/replies/#', qos: 1 },
  ]);
  client.start();
  return {
    received,
    ready,
    invoke(deviceId, name, payload, timeoutMs = 10_000) {
      const correlation = `${Date.now().toString(36)}-${next++}`;
      return new Promise<CommandResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(correlation);
          reject(new Error(`command ${name} to ${deviceId}: no reply within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(correlation, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        client.publish(`devices/${deviceId}/commands/${name}`, Buffer.from(JSON.stringify(payload ?? null)), {
          qos: 1,
          properties: {
            responseTopic: `devices/${deviceId}/replies/${correlation}`,
            correlationData: new Uint8Array(Buffer.from(correlation)),
            contentType: 'application/json',
          },
        });
      });
    },
    sendMessage(deviceId, text, userProperties = {}) {
      const user = Object.keys(userProperties).map((k) => [k, userProperties[k]] as [string, string]);
      client.publish(`devices/${deviceId}/messages`, Buffer.from(text), { qos: 1, properties: { contentType: 'text/plain', ...(user.length ? { userProperties: user } : {}) } });
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      client.close();
      for (const resolve of waiting.values()) resolve({ status: 503, payload: { error: 'service closed' } });
      waiting.clear();
    },
  };
}
