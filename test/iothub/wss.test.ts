/**
 * MQTT over secure WebSockets end to end: HubClient and ProvisioningClient with transport 'wss'
 * and 'auto' (src/iothub/transport over src/websocket) against the emulator's wss endpoints
 * (simulator/hub/wss.ts), and an unmodified mqtt.js client (what the Azure Node device SDK's
 * MqttWs transport runs on) against the same endpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeClock, nodeCrypto, nodeRandom, nodeTimers } from '../../hosts/node/host';
import { NodeNetwork } from '../../hosts/node/network';
import { createDeviceCertificate } from '../../simulator/hub/certs';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { base64Decode } from '../../src/iothub/base64';
import { HubClient, type DesiredUpdate, type HubClientHost, type HubEndpoint } from '../../src/iothub/hub-client';
import { ProvisioningClient } from '../../src/iothub/provisioning-client';
import { Secret } from '../../src/iothub/secret';
import type { Connection, ConnectionHandlers, ConnectOptions, Network } from '../../src/platform';
import { waitFor } from '../e2e/helpers';
import { inOneHour, sas } from '../hub/helpers';

let hub: Hub;
let dir: string;
let closedPort: number;
const clients: { close(): void }[] = [];

/** Records every connect's port, over Node's network. */
class RecordingNetwork implements Network {
  readonly ports: number[] = [];
  private readonly inner = new NodeNetwork({ closeLingerMs: 200, connectTimeoutMs: 5000 });
  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    this.ports.push(options.port);
    return this.inner.connect(options, handlers);
  }
}

function host(network: Network = new RecordingNetwork()): HubClientHost {
  return { clock: nodeClock, timers: nodeTimers, network, random: nodeRandom, crypto: nodeCrypto };
}

function endpoint(extra: HubEndpoint): HubEndpoint {
  return { host: '127.0.0.1', port: hub.mqttPort, tls: { ca: [hub.caPem], serverName: hub.hostName }, wssPort: hub.wssPort, ...extra };
}

async function start(deviceId: string, ep: HubEndpoint, network = new RecordingNetwork()) {
  if (!hub.device(deviceId)) hub.createDevice({ deviceId });
  const desired: DesiredUpdate[] = [];
  const errors: string[] = [];
  let connects = 0;
  const client = new HubClient({ connectionString: hub.connectionString(deviceId), endpoint: ep, backoff: { minMs: 50, maxMs: 200 } }, host(network), {
    onConnected: () => connects++,
    onError: (e) => errors.push(e.code),
  });
  clients.push(client);
  client.onDesired((u) => desired.push(u));
  client.start();
  return { client, desired, errors, network, connects: () => connects };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iothub-wss-'));
  hub = await startHub({ dataDir: dir, mqttPort: 0, dpsPort: 0, httpPort: null, wssPort: 0, dpsWssPort: 0, dpsRetryAfter: 1 });
  // A port nothing listens on: what a network blocking 8883 with resets looks like.
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  closedPort = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
});

afterEach(() => {
  while (clients.length) clients.pop()!.close();
});

afterAll(async () => {
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('MQTT over WebSockets against the emulator', () => {
  it('transport wss: connect, twin, 200 KB telemetry and a 60 KB C2D across many frames, a method', async () => {
    const d = await start('wss-1', endpoint({ transport: 'wss', port: closedPort }));
    await waitFor('connected over wss', () => d.connects() > 0 && d.desired.length > 0, 10_000, 10);
    expect(d.client.transport).toBe('wss');
    expect(d.network.ports).toEqual([hub.wssPort]);
    expect(hub.isConnected('wss-1')).toBe(true);

    const body = 'x'.repeat(200 * 1024);
    await d.client.sendTelemetry(body, { messageId: 'big-1' });
    const [event] = hub.telemetry('wss-1');
    expect(event.messageId).toBe('big-1');
    expect(event.body.length).toBe(body.length);

    const got: Uint8Array[] = [];
    d.client.onC2D((b) => got.push(b.slice()));
    const c2d = Buffer.alloc(60 * 1024);
    for (let i = 0; i < c2d.length; i++) c2d[i] = (i * 13) & 0xff;
    hub.sendC2D('wss-1', { body: c2d, messageId: 'c2d-big' });
    await waitFor('the 60 KB C2D message', () => got.length === 1, 10_000, 10);
    expect(Buffer.from(got[0]).equals(c2d)).toBe(true);

    hub.updateDesired('wss-1', { interval: 7 });
    await waitFor('the desired patch', () => d.desired.some((u) => u.desired.interval === 7), 5000, 10);
    const patched = await d.client.patchReported({ transport: 'wss' });
    expect(patched.status).toBe(204);
    expect((hub.twin('wss-1') as { properties: { reported: Record<string, unknown> } }).properties.reported.transport).toBe('wss');

    d.client.onMethod('ping', async (payload) => ({ status: 200, payload: { echo: payload } }));
    await expect(hub.invokeMethod('wss-1', 'ping', { n: 1 }, 5)).resolves.toEqual({ status: 200, payload: { echo: { n: 1 } } });
  });

  it('transport auto: a refused MQTT port moves to wss at once, and later connections stay there', async () => {
    const d = await start('wss-auto', endpoint({ transport: 'auto', port: closedPort }));
    expect(d.client.transport).toBe('mqtts');
    await waitFor('connected after falling back', () => d.connects() > 0 && d.desired.length > 0, 10_000, 10);
    expect(d.client.transport).toBe('wss');
    expect(d.network.ports).toEqual([closedPort, hub.wssPort]);
    expect(d.errors).toEqual([]); // the fallback happened inside one attempt
    // A dropped connection reconnects straight to wss: 8883 is not tried again.
    hub.setDeviceStatus('wss-auto', 'disabled');
    hub.setDeviceStatus('wss-auto', 'enabled');
    await waitFor('reconnected', () => d.connects() > 1, 10_000, 10);
    expect(d.network.ports.slice(2).every((p) => p === hub.wssPort)).toBe(true);
    expect(d.network.ports.length).toBeGreaterThan(2);
  });

  it('transport auto: an MQTT port that never answers times out (probeTimeoutMs), then wss', async () => {
    // A listener that accepts TCP but never speaks TLS: the probe's TLS handshake hangs.
    const silent = createServer(() => undefined);
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    try {
      const port = (silent.address() as AddressInfo).port;
      const d = await start('wss-auto-timeout', endpoint({ transport: 'auto', port, probeTimeoutMs: 300 }));
      await waitFor('connected after the probe timed out', () => d.connects() > 0, 10_000, 10);
      expect(d.network.ports).toEqual([port, hub.wssPort]);
      expect(d.client.transport).toBe('wss');
    } finally {
      silent.close();
    }
  });

  it('transport auto with 8883 open stays on MQTT over TLS', async () => {
    const d = await start('wss-auto-open', endpoint({ transport: 'auto' }));
    await waitFor('connected', () => d.connects() > 0, 10_000, 10);
    expect(d.client.transport).toBe('mqtts');
    expect(d.network.ports).toEqual([hub.mqttPort]);
  });

  it('a wrong path is refused by the emulator and reported as WS_HANDSHAKE', async () => {
    const d = await start('wss-path', endpoint({ transport: 'wss', wssPath: '/mqtt' }));
    await waitFor('the handshake error', () => d.errors.includes('WS_HANDSHAKE'), 10_000, 10);
    expect(d.connects()).toBe(0);
    expect(hub.isConnected('wss-path')).toBe(false);
  });

  it('TLS is verified on 443 as on 8883: an untrusted CA fails before any WebSocket byte', async () => {
    const d = await start('wss-untrusted', { host: '127.0.0.1', wssPort: hub.wssPort, transport: 'wss', tls: { serverName: hub.hostName } });
    await waitFor('the TLS error', () => d.errors.length > 0, 10_000, 10);
    expect(d.errors[0]).toBe('TLS_CERT_UNTRUSTED');
    expect(d.connects()).toBe(0);
  });

  it('SAS is checked over wss too: a wrong key is refused', async () => {
    hub.createDevice({ deviceId: 'wss-badkey' });
    const cs = hub.connectionString('wss-badkey').replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.from('not-the-key-0123456789abcdef012').toString('base64')}`);
    const errors: string[] = [];
    const client = new HubClient({ connectionString: cs, endpoint: endpoint({ transport: 'wss' }) }, host(), { onError: (e) => errors.push(e.code) });
    clients.push(client);
    client.start();
    await waitFor('the refusal', () => errors.length > 0, 10_000, 10);
    expect(errors[0]).toMatch(/CONNACK_(NOT_AUTHORIZED|BAD_USERNAME_OR_PASSWORD)/);
  });

  it('X.509 over wss: the TLS client certificate under the WebSocket is recognised by thumbprint; another is refused', async () => {
    const good = createDeviceCertificate('wss-x509');
    const other = createDeviceCertificate('wss-x509');
    hub.createDevice({ deviceId: 'wss-x509', primaryThumbprint: good.sha1 });
    const attempt = (cert: { certPem: string; keyPem: string }) => {
      const errors: string[] = [];
      let connects = 0;
      const client = new HubClient(
        { connectionString: hub.connectionString('wss-x509'), x509: { cert: cert.certPem, key: cert.keyPem }, endpoint: endpoint({ transport: 'wss', port: closedPort }), backoff: { minMs: 50, maxMs: 200 } },
        host(),
        { onConnected: () => connects++, onError: (e) => errors.push(e.code) },
      );
      clients.push(client);
      client.start();
      return { client, errors, connects: () => connects };
    };
    const ok = attempt(good);
    await waitFor('x509 connected over wss', () => ok.connects() > 0, 10_000, 10);
    expect(hub.isConnected('wss-x509')).toBe(true);
    ok.client.close();
    const bad = attempt(other);
    await waitFor('the refusal', () => bad.errors.length > 0, 10_000, 10);
    expect(bad.errors[0]).toMatch(/CONNACK_(NOT_AUTHORIZED|BAD_USERNAME_OR_PASSWORD)/);
    expect(bad.connects()).toBe(0);
  });

  it('DPS over wss: registers through the emulator DPS WebSocket endpoint', async () => {
    const key = Buffer.from('dps-wss-key-0123456789abcdef0123').toString('base64');
    hub.addEnrollment({ registrationId: 'wss-dps-1', primaryKey: key, secondaryKey: Buffer.from('dps-wss-key2-0123456789abcdef012').toString('base64') });
    const network = new RecordingNetwork();
    const dps = new ProvisioningClient(
      {
        idScope: hub.idScope,
        registrationId: 'wss-dps-1',
        auth: { kind: 'symmetricKey', key: new Secret(base64Decode(key)) },
        endpoint: { ...endpoint({ transport: 'wss', wssPort: hub.dpsWssPort }), port: closedPort },
        timeoutMs: 15_000,
      },
      host(network),
    );
    clients.push(dps);
    const result = await dps.register();
    expect(result).toMatchObject({ assignedHub: hub.hostName, deviceId: 'wss-dps-1' });
    expect(network.ports.every((p) => p === hub.dpsWssPort)).toBe(true);
  });

  it('an unmodified mqtt.js client (the Azure Node SDK MqttWs transport underneath) connects at /$iothub/websocket', async () => {
    const device = hub.createDevice({ deviceId: 'wss-mqttjs' });
    const client = mqtt.connect(`wss://127.0.0.1:${hub.wssPort}/$iothub/websocket`, {
      ca: hub.caPem,
      servername: hub.hostName,
      clientId: 'wss-mqttjs',
      username: `${hub.hostName}/wss-mqttjs/?api-version=2021-04-12`,
      password: sas(`${hub.hostName}/devices/wss-mqttjs`, device.primaryKey!, inOneHour()),
      protocolVersion: 4,
      reconnectPeriod: 0,
      clean: false,
    });
    clients.push({ close: () => client.end(true) });
    await new Promise<void>((ok, fail) => {
      client.once('connect', () => ok());
      client.once('error', fail);
    });
    await client.publishAsync('devices/wss-mqttjs/messages/events/', 'from mqtt.js', { qos: 1 });
    expect(hub.telemetry('wss-mqttjs').map((e) => e.body)).toEqual(['from mqtt.js']);
  });
});
