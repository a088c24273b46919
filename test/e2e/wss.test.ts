/**
 * End to end over MQTT over WebSockets: the simulator's device (`npm start -- --transport wss`)
 * against the emulator's wss endpoint, with the emulator's MQTT port closed to it by a
 * network that refuses that port (a network blocking 8883). Telemetry, C2D onto the display,
 * twin, methods, and the dashboard's network cut and restore.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeNetwork } from '../../hosts/node/network';
import { startSimulator, type Simulator } from '../../simulator/main';
import { startHub, type Hub } from '../../simulator/hub/hub';
import type { Connection, ConnectionHandlers, ConnectOptions, Network } from '../../src/platform';
import { tempDir, waitFor } from './helpers';

const ID = 'sim-1';
let dir: string;
let hub: Hub;
let sim: Simulator;
const dialled: number[] = [];

/** Node's network, except that the emulator's MQTT port is refused, as a firewall would. */
class Blocking8883 implements Network {
  private readonly inner = new NodeNetwork({ closeLingerMs: 200 });
  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    dialled.push(options.port);
    if (options.port === hub.mqttPort) {
      let closed = false;
      setImmediate(() => closed || handlers.onClose({ code: 'ECONNREFUSED', message: 'blocked (test firewall)' }));
      return { write: () => false, close: () => void (closed = true) };
    }
    return this.inner.connect(options, handlers);
  }
}

beforeAll(async () => {
  dir = tempDir('thermo-wss-');
  hub = await startHub({ dataDir: path.join(dir, 'hub'), mqttPort: 0, httpPort: 0, dpsPort: null, wssPort: 0 });
  sim = await startSimulator({
    hub,
    dataDir: dir,
    dashboardPort: 0,
    log: 'warn',
    transport: 'auto',
    network: () => new Blocking8883(),
    config: { samplingIntervalMs: 250, telemetryIntervalMs: 1000 },
  });
});

afterAll(async () => {
  await sim?.stop();
  await hub?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the simulated device over wss (transport auto, 8883 blocked)', () => {
  it('falls back to wss and sends telemetry', async () => {
    const event = await waitFor('telemetry', () => hub.telemetry(ID).find((e) => (e.json as { type?: string } | undefined)?.type === 'telemetry'));
    expect(event.properties.type).toBe('telemetry');
    expect(dialled[0]).toBe(hub.mqttPort);
    expect(dialled.slice(1).every((p) => p === hub.wssPort)).toBe(true);
  });

  it('C2D reaches the display, a twin change is reported, methods answer', async () => {
    hub.sendC2D(ID, { body: Buffer.from('over port 443', 'utf8'), properties: { sender: 'ops' } });
    await waitFor('message on display', () => sim.devices[0].host.display.latest?.message?.text === 'over port 443');
    hub.updateDesired(ID, { samplingIntervalMs: 500 });
    await waitFor('reported config', () => (hub.twin(ID) as { properties: { reported: { config?: { samplingIntervalMs: number } } } }).properties.reported.config?.samplingIntervalMs === 500);
    const stats = await hub.invokeMethod(ID, 'getStats', null, 10);
    expect(stats.status).toBe(200);
    expect((stats.payload as { deviceId: string }).deviceId).toBe(ID);
  });

  it("the dashboard's network cut drops the wss connection; restore reconnects over wss", async () => {
    const post = (up: boolean) => fetch(`${sim.dashboard.url}/api/devices/${ID}/network`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ up }) });
    expect((await post(false)).status).toBe(200);
    await waitFor('hub sees the device gone', () => !hub.isConnected(ID), 10_000);
    const cutAt = dialled.length;
    const seqBefore = hub.telemetry(ID).length;
    expect((await post(true)).status).toBe(200);
    await waitFor('reconnected', () => hub.isConnected(ID), 15_000);
    await waitFor('telemetry again', () => hub.telemetry(ID).length > seqBefore + 1, 15_000);
    expect(dialled.slice(cutAt).every((p) => p === hub.wssPort)).toBe(true);
  });
});
