/**
 * End to end (Node host, IoT Hub emulator over TLS): the device's twin is deleted and created
 * again on the hub (issue 12, input 4). Its desired `$version` starts over; the device must take
 * the new twin's full desired document at connect and the patches after it, not wait for the
 * version to pass what the old twin had reached.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/main';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { tempDir, waitFor } from './helpers';

const ID = 'sim-1';
let dir: string;
let hub: Hub;
let sim: Simulator;

function reported(): { desiredVersion?: number; config?: { resolution: number; anomalyThreshold: number } } {
  return (hub.twin(ID) as { properties: { reported: Record<string, unknown> } }).properties.reported;
}

beforeAll(async () => {
  dir = tempDir('thermo-twin-');
  hub = await startHub({ dataDir: path.join(dir, 'hub'), mqttPort: 0, httpPort: null, dpsPort: null });
  sim = await startSimulator({ hub, dataDir: dir, dashboardPort: 0, log: 'warn', config: { samplingIntervalMs: 250, telemetryIntervalMs: 1000 } });
});

afterAll(async () => {
  await sim?.stop();
  await hub?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('a twin re-created on the hub ($version 7 -> 1): its desired document and the next patch are applied', async () => {
  await waitFor('connected', () => hub.isConnected(ID) && reported().desiredVersion !== undefined);
  let version = 0;
  for (const resolution of [10, 11, 10, 11, 10, 11]) version = hub.updateDesired(ID, { resolution });
  expect(version).toBeGreaterThanOrEqual(7);
  await waitFor(`desiredVersion ${version} reported`, () => reported().desiredVersion === version);
  expect(sim.devices[0].app.config.resolution).toBe(11);

  const keys = hub.device(ID);
  await hub.deleteDevice(ID);
  hub.createDevice({ deviceId: ID, primaryKey: keys?.primaryKey, secondaryKey: keys?.secondaryKey });
  const fresh = hub.updateDesired(ID, { resolution: 9 });
  expect(fresh).toBeLessThan(version);
  await waitFor('reconnected to the new twin', () => hub.isConnected(ID), 60000);
  await waitFor(`the new twin's version ${fresh} applied`, () => reported().desiredVersion === fresh && sim.devices[0].app.config.resolution === 9, 20000);
  // The next patch on the new twin, still below what the old one had reached.
  const next = hub.updateDesired(ID, { anomalyThreshold: 6 });
  expect(next).toBe(fresh + 1);
  await waitFor(`patch ${next} applied`, () => sim.devices[0].app.config.anomalyThreshold === 6 && reported().desiredVersion === next);
}, 120000);
