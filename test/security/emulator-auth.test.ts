/**
 * The IoT Hub emulator refuses bad, expired and foreign tokens and cross-device topics, seen
 * through our own MQTT client (src/mqtt/client over hosts/node/network, TLS with the emulator's
 * CA). Tokens are signed here with node:crypto, independently of both the device and the hub.
 */
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeClock, nodeTimers } from '../../hosts/node/host';
import { NodeNetwork } from '../../hosts/node/network';
import { MqttClient, type DisconnectReason } from '../../src/mqtt/client';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { seededRandom } from '../soak/rng';

let hub: Hub;
let dir: string;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sec-hub-'));
  hub = await startHub({ dataDir: dir, mqttPort: 0, httpPort: null, dpsPort: null });
  keyA = hub.createDevice({ deviceId: 'sec-a' }).primaryKey as string;
  keyB = hub.createDevice({ deviceId: 'sec-b' }).primaryKey as string;
});
afterAll(async () => {
  await hub?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function token(resource: string, key: string, expiry: number): string {
  const sr = encodeURIComponent(resource);
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(`${sr}\n${expiry}`).digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiry}`;
}
const inOneHour = (): number => Math.floor(Date.now() / 1000) + 3600;

interface Outcome {
  connected: boolean;
  errors: string[];
  disconnects: DisconnectReason[];
  client: MqttClient;
}

/** Starts our client as `deviceId` with `password`; resolves after CONNACK or the first refusal. */
async function open(deviceId: string, password: string): Promise<Outcome> {
  const out: Outcome = { connected: false, errors: [], disconnects: [], client: undefined as unknown as MqttClient };
  out.client = new MqttClient(
    {
      host: '127.0.0.1',
      port: hub.mqttPort,
      tls: { ca: [hub.caPem] },
      clientId: deviceId,
      cleanSession: false,
      username: `${hub.hostName}/${deviceId}/?api-version=2021-04-12`,
      password,
      backoff: { minMs: 5000, maxMs: 5000 },
    },
    { clock: nodeClock, timers: nodeTimers, network: new NodeNetwork({ connectTimeoutMs: 5000 }), random: seededRandom(2) },
    { onConnected: () => (out.connected = true), onError: (e) => out.errors.push(e.code), onDisconnected: (r) => out.disconnects.push(r) },
  );
  out.client.start();
  const end = Date.now() + 8000;
  while (!out.connected && out.errors.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return out;
}

async function settle(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

describe('security: the emulator refuses what IoT Hub refuses (through our client)', () => {
  it('a valid token connects (positive control)', async () => {
    const o = await open('sec-a', token(`${hub.hostName}/devices/sec-a`, keyA, inOneHour()));
    expect(o.connected).toBe(true);
    o.client.close();
  });

  it('a bad signature, an expired token and a foreign token are refused with CONNACK 5', async () => {
    const wrongKey = Buffer.alloc(32, 9).toString('base64');
    const cases = {
      bad: token(`${hub.hostName}/devices/sec-a`, wrongKey, inOneHour()),
      expired: token(`${hub.hostName}/devices/sec-a`, keyA, Math.floor(Date.now() / 1000) - 5),
      foreign: token(`${hub.hostName}/devices/sec-b`, keyB, inOneHour()),
      garbage: 'SharedAccessSignature nonsense',
    };
    for (const [name, password] of Object.entries(cases)) {
      const o = await open('sec-a', password);
      o.client.close();
      expect(o.connected, name).toBe(false);
      expect(o.errors[0], name).toMatch(/^CONNACK_(NOT_AUTHORIZED|BAD_USERNAME_OR_PASSWORD)$/);
    }
  });

  it('publishing to another device\'s topic closes the connection; nothing reaches the other device', async () => {
    const o = await open('sec-a', token(`${hub.hostName}/devices/sec-a`, keyA, inOneHour()));
    expect(o.connected).toBe(true);
    const before = hub.telemetry('sec-b').length;
    const violations: string[] = [];
    hub.on('violation', (v) => violations.push(`${v.deviceId}: ${v.reason}`));
    o.client.publish('devices/sec-b/messages/events/', new TextEncoder().encode('spoofed'), { qos: 1 });
    await settle(() => o.disconnects.length > 0);
    o.client.close();
    expect(o.disconnects.length).toBeGreaterThan(0);
    expect(hub.telemetry('sec-b').length).toBe(before);
    expect(violations[0]).toMatch(/^sec-a: .*sec-b/);
  });

  it("subscribing to another device's C2D closes the connection", async () => {
    const o = await open('sec-a', token(`${hub.hostName}/devices/sec-a`, keyA, inOneHour()));
    expect(o.connected).toBe(true);
    const violations: string[] = [];
    hub.on('violation', (v) => violations.push(`${v.deviceId}: ${v.reason}`));
    o.client.subscribeTo('devices/sec-b/messages/devicebound/#', 1);
    await settle(() => o.disconnects.length > 0);
    o.client.close();
    expect(o.disconnects.length).toBeGreaterThan(0);
    expect(violations[0]).toMatch(/^sec-a: .*sec-b/);
  });
});
