/**
 * The Moddable lane for the simulator as a user builds it (hosts/moddable/README.md, "Simulator"):
 * the project's own manifest for sim/moddable_two, with no lane manifest around it, so the heap is
 * manifest_sim.json's (the ESP32's default plus room for the three default simulated sensors) and
 * every config value but the emulator's address and storage folder is the shipped default. It
 * checks that the firmware keeps the default maxSensors (the heap it reads, less the sensors'
 * models, is the ESP32's: src/device/heap-budget.ts) and sends telemetry from all three sensors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { projectRoot } from '../xs/lane';
import { telemetryRoundsOf, until } from './hub-probe';
import { buildFirmware, emulatorConfig, endLane, requireSdk, runFirmware, type RunningFirmware } from './rig';

const ID = 'modsim-plain';
const results = path.join(projectRoot, 'test-results');
let dataDir: string;
let hub: Hub;
let firmware: RunningFirmware;

beforeAll(async () => {
  const sdk = requireSdk();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'thermo-moddable-plain-'));
  hub = await startHub({ dataDir, mqttPort: 0, httpPort: null, dpsPort: null });
  hub.createDevice({ deviceId: ID });
  // Only what reaching the emulator needs; 10 s telemetry instead of the default minute, to be quick.
  const mcso = buildFirmware(sdk, projectRoot, { ...emulatorConfig(hub, ID, dataDir, hub.mqttPort), telemetryIntervalMs: 10_000 });
  firmware = await runFirmware(sdk, mcso, path.join(results, 'moddable-lane-plain.log'));
  await firmware.waitForLine(/hub: hub connected/, 180_000);
}, 30 * 60_000);

afterAll(() => endLane(firmware, path.join(results, 'moddable-lane-plain.png'), hub, dataDir));

describe('the firmware built for the simulator from the project manifest, as a user builds it', () => {
  it('keeps the default maxSensors (nothing lowered at boot) and sends telemetry from its 3 simulated sensors', async () => {
    const t = await until('telemetry with 3 sensors valued', () => telemetryRoundsOf(hub, ID).find((b) => b.sensors.length === 3 && b.sensors.every((s) => s.value !== null)), firmware, 120_000);
    expect(t.sensors).toHaveLength(3);
    expect(firmware.lines.filter((l) => l.includes('heap: maxSensors'))).toEqual([]);
    expect(firmware.fatalLines()).toEqual([]);
  });
});
