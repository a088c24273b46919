/**
 * End to end: HubClient and ProvisioningClient (src/iothub) over the real MQTT client, the
 * Node host's TLS network and the project's IoT Hub emulator (simulator/hub) on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeClock, nodeCrypto, nodeRandom, nodeTimers } from '../../hosts/node/host';
import { NodeNetwork } from '../../hosts/node/network';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { base64Decode } from '../../src/iothub/base64';
import { HubClient, type DesiredUpdate, type HubClientHost, type HubClientOptions } from '../../src/iothub/hub-client';
import { ProvisioningClient } from '../../src/iothub/provisioning-client';
import { Secret } from '../../src/iothub/secret';
import type { C2dProperties } from '../../src/iothub/properties';
import type { Timers } from '../../src/platform';
import { waitFor } from '../e2e/helpers';

let hub: Hub;
let dir: string;
const clients: { close(): void }[] = [];

function host(timers: Timers = nodeTimers): HubClientHost {
  return { clock: nodeClock, timers, network: new NodeNetwork({ closeLingerMs: 200 }), random: nodeRandom, crypto: nodeCrypto };
}

function endpoint(port = hub.mqttPort): HubClientOptions['endpoint'] {
  return { host: '127.0.0.1', port, tls: { ca: [hub.caPem], serverName: hub.hostName } };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  await waitFor(what, condition, timeoutMs, 10);
}

async function connectedClient(deviceId: string, extra: Partial<HubClientOptions> = {}, timers?: Timers, onDisconnected?: () => void) {
  if (!hub.device(deviceId)) hub.createDevice({ deviceId });
  const desired: DesiredUpdate[] = [];
  let connects = 0;
  const client = new HubClient({ connectionString: hub.connectionString(deviceId), endpoint: endpoint(), ...extra }, host(timers), {
    onConnected: () => connects++,
    onDisconnected,
  });
  clients.push(client);
  client.onDesired((u) => desired.push(u));
  client.start();
  await until(() => connects > 0 && desired.length > 0, `${deviceId} connected and twin synced`);
  return { client, desired, connects: () => connects };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iothub-e2e-'));
  hub = await startHub({ dataDir: dir, mqttPort: 0, dpsPort: 0, httpPort: null, dpsRetryAfter: 1, dpsPendingPolls: 1 });
});

afterEach(() => {
  while (clients.length) clients.pop()!.close();
});

afterAll(async () => {
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('HubClient against the IoT Hub emulator', () => {
  it('sends telemetry with system and application properties, acknowledged by the hub', async () => {
    const { client } = await connectedClient('e2e-telemetry');
    await client.sendTelemetry('{"t":21.5}', { contentType: 'application/json', contentEncoding: 'utf-8', messageId: 'm-1', custom: { alert: 'high temp' } });
    const [event] = hub.telemetry('e2e-telemetry');
    expect(event).toMatchObject({ body: '{"t":21.5}', messageId: 'm-1', contentType: 'application/json', contentEncoding: 'utf-8' });
    expect(event.properties).toMatchObject({ alert: 'high temp' });
  });

  it('receives C2D messages with their properties', async () => {
    const { client } = await connectedClient('e2e-c2d');
    const got: { body: string; props: C2dProperties }[] = [];
    client.onC2D((body, props) => got.push({ body: Buffer.from(body).toString(), props }));
    hub.sendC2D('e2e-c2d', { body: Buffer.from('Hello, 21 °C'), messageId: 'c2d-1', properties: { sender: 'ops' } });
    await until(() => got.length === 1, 'the C2D message');
    expect(got[0].body).toBe('Hello, 21 °C');
    expect(got[0].props.messageId).toBe('c2d-1');
    expect(got[0].props.custom).toMatchObject({ sender: 'ops' });
  });

  it('twin: full desired at connect, patches in order, reported patch with $version, getTwin', async () => {
    hub.createDevice({ deviceId: 'e2e-twin' });
    hub.updateDesired('e2e-twin', { interval: 10 });
    const { client, desired } = await connectedClient('e2e-twin');
    expect(desired[0]).toMatchObject({ full: true, desired: { interval: 10 } });
    const v1 = desired[0].version;
    hub.updateDesired('e2e-twin', { interval: 20 });
    hub.updateDesired('e2e-twin', { unit: 'C' });
    await until(() => desired.length === 3, 'two desired patches');
    expect(desired.slice(1)).toEqual([
      { version: v1 + 1, full: false, desired: { interval: 20 } },
      { version: v1 + 2, full: false, desired: { unit: 'C' } },
    ]);
    const patched = await client.patchReported({ firmware: '1.2.3', interval: 20 });
    expect(patched.status).toBe(204);
    expect(typeof patched.version).toBe('number');
    const twin = await client.getTwin();
    expect(twin.desired).toMatchObject({ interval: 20, unit: 'C', $version: v1 + 2 });
    expect(twin.reported).toMatchObject({ firmware: '1.2.3', interval: 20, $version: patched.version });
  });

  it('methods: handler result, 404 for unknown methods', async () => {
    const { client } = await connectedClient('e2e-methods');
    client.onMethod('setInterval', async (payload) => ({ status: 200, payload: { applied: payload } }));
    await expect(hub.invokeMethod('e2e-methods', 'setInterval', { seconds: 5 }, 5)).resolves.toEqual({ status: 200, payload: { applied: { seconds: 5 } } });
    const unknown = await hub.invokeMethod('e2e-methods', 'reboot', null, 5);
    expect(unknown.status).toBe(404);
  });

  it('renews the SAS token at 80% by a planned reconnect without losing telemetry', async () => {
    // Real clock and network; only the renewal timer (due 80% of 60 s after the token was made)
    // is fast-forwarded, and just before it fires a burst of telemetry is published, so those
    // messages are certainly unacknowledged when the planned reconnect starts.
    const renewals: number[] = [];
    const sends: Promise<void>[] = [];
    let n = 0;
    let settled = 0;
    let unsettledAtReconnect = -1;
    const ref: { client?: HubClient } = {};
    const send = (): void => void sends.push(ref.client!.sendTelemetry(`{"n":${n++}}`).then(() => void settled++));
    const fast: Timers = {
      set: (cb, ms) => {
        if (!(ms > 40_000 && ms <= 48_000)) return nodeTimers.set(cb, ms);
        renewals.push(ms);
        return nodeTimers.set(() => {
          for (let i = 0; i < 100; i++) send();
          cb();
        }, 300);
      },
      clear: nodeTimers.clear,
    };
    const connected: string[] = [];
    hub.on('connected', ({ deviceId }) => connected.push(deviceId));
    const made = await connectedClient('e2e-renew', { sasLifetimeS: 60 }, fast, () => {
      if (unsettledAtReconnect < 0) unsettledAtReconnect = n - settled;
    });
    ref.client = made.client;
    // Keep sending during the reconnect too.
    while (made.connects() < 2) {
      send();
      await new Promise((r) => setTimeout(r, 5));
    }
    for (let i = 0; i < 20; i++) send();
    await Promise.all(sends);
    const bodies = new Set(hub.telemetry('e2e-renew', 100_000).map((e) => e.body));
    for (let i = 0; i < n; i++) expect(bodies.has(`{"n":${i}}`), `message ${i}`).toBe(true);
    expect(renewals[0]).toBeGreaterThan(47_000);
    expect(unsettledAtReconnect).toBeGreaterThanOrEqual(100);
    expect(connected.filter((d) => d === 'e2e-renew').length).toBeGreaterThanOrEqual(2);
    expect(renewals.length).toBeGreaterThanOrEqual(1);
  });
});

describe('ProvisioningClient against the emulator DPS', () => {
  it('provisions through a group enrollment, then the device connects with the derived key', async () => {
    const groupKey = Buffer.from('group-key-for-the-e2e-test-0123').toString('base64');
    hub.addEnrollmentGroup({ groupId: 'thermos', primaryKey: groupKey, secondaryKey: Buffer.from('other-group-key-0123456789abcd').toString('base64') });
    const dps = new ProvisioningClient(
      {
        idScope: hub.idScope,
        registrationId: 'thermo-dps-1',
        auth: { kind: 'groupKey', key: new Secret(base64Decode(groupKey)) },
        endpoint: endpoint(hub.dpsPort),
        timeoutMs: 15_000,
      },
      host(),
    );
    clients.push(dps);
    const result = await dps.register();
    expect(result).toMatchObject({ assignedHub: hub.hostName, deviceId: 'thermo-dps-1' });
    const derived = nodeCrypto.hmacSha256(base64Decode(groupKey), new TextEncoder().encode('thermo-dps-1'));
    const cs = `HostName=${result.assignedHub};DeviceId=${result.deviceId};SharedAccessKey=${Buffer.from(derived).toString('base64')}`;
    let connected = false;
    const client = new HubClient({ connectionString: cs, endpoint: endpoint(), features: { twin: false } }, host(), { onConnected: () => (connected = true) });
    clients.push(client);
    client.start();
    await until(() => connected, 'the provisioned device connected');
    await client.sendTelemetry('{"hello":"dps"}');
    expect(hub.telemetry('thermo-dps-1').map((e) => e.body)).toContain('{"hello":"dps"}');
  });

  it('fails clearly with a wrong key', async () => {
    hub.addEnrollment({ registrationId: 'thermo-dps-2', primaryKey: Buffer.from('right-key-0123456789abcdef0123').toString('base64'), secondaryKey: Buffer.from('second-key-0123456789abcdef012').toString('base64') });
    const dps = new ProvisioningClient(
      {
        idScope: hub.idScope,
        registrationId: 'thermo-dps-2',
        auth: { kind: 'symmetricKey', key: new Secret(new TextEncoder().encode('wrong-key-0123456789abcdef0123')) },
        endpoint: endpoint(hub.dpsPort),
        timeoutMs: 15_000,
      },
      host(),
    );
    clients.push(dps);
    await expect(dps.register()).rejects.toMatchObject({ code: 'REFUSED' });
  });
});
