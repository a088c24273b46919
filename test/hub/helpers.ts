// Test helpers: a hub on loopback in a temp dir, devices as mqtt.js clients, SAS via node:crypto.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startHub, type Hub, type HubOptions } from '../../simulator/hub/hub';

export interface TestHub {
  hub: Hub;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestHub(options: HubOptions = {}): Promise<TestHub> {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hub-test-'));
  const hub = await startHub({ mqttPort: 0, dpsPort: 0, httpPort: 0, ...options, dataDir: dir });
  return {
    hub,
    dir,
    async stop() {
      await hub.stop();
      if (!options.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An independent SAS signer, so the hub's own sas.ts is not checked against itself. */
export function sas(resourceUri: string, key: string, expiry: number, skn?: string): string {
  const sr = encodeURIComponent(resourceUri);
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(`${sr}\n${expiry}`).digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiry}${skn ? `&skn=${skn}` : ''}`;
}

export const inOneHour = (): number => Math.floor(Date.now() / 1000) + 3600;

export function deviceOptions(hub: Hub, deviceId: string, key: string, extra: Partial<IClientOptions> = {}): IClientOptions {
  return {
    host: '127.0.0.1',
    port: hub.mqttPort,
    protocol: 'mqtts',
    ca: hub.caPem,
    clientId: deviceId,
    username: `${hub.hostName}/${deviceId}/?api-version=2021-04-12`,
    password: sas(`${hub.hostName}/devices/${deviceId}`, key, inOneHour()),
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    clean: true,
    ...extra,
  };
}

/** Connects and resolves once CONNACK 0 arrives; rejects with the CONNACK code otherwise. */
export function connect(options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(options);
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

/** The CONNACK return code of a refused connection. */
export async function refusal(options: IClientOptions): Promise<number> {
  try {
    const c = await connect(options);
    c.end(true);
    return 0;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code !== 'number') throw err;
    return code;
  }
}

export function closed(client: MqttClient, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected && client.disconnected) return resolve();
    const t = setTimeout(() => reject(new Error('connection stayed open')), ms);
    client.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export function nextMessage(client: MqttClient, match: (topic: string) => boolean = () => true, ms = 5000): Promise<{ topic: string; payload: Buffer; qos: number }> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      client.off('message', on);
      reject(new Error('no message'));
    }, ms);
    const on = (topic: string, payload: Buffer, packet: { qos: number }) => {
      if (!match(topic)) return;
      clearTimeout(t);
      client.off('message', on);
      resolve({ topic, payload, qos: packet.qos });
    };
    client.on('message', on);
  });
}

export function nextEvent<T>(hub: Hub, event: Parameters<Hub['on']>[0], ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${event} event`)), ms);
    const on = (data: unknown) => {
      clearTimeout(t);
      hub.off(event, on as never);
      resolve(data as T);
    };
    hub.on(event, on as never);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
