/**
 * The Moddable lane for a device configured for more sensors than its heap holds (issue 11): the
 * firmware built with `maxSensors=24` and 24 simulated DS18B20s on the bus, in mcsim with the
 * ESP32's default heap (plus the simulated sensors' models: rig.ts laneManifest). At boot the
 * firmware reads its heap from XS (hosts/moddable/heap.ts), finds that it holds 8 sensors at their
 * peaks (src/device/heap-budget.ts) and says so; the 16 sensors beyond are refused and reported in
 * lastError instead of running XS out of memory (an abort, and on an ESP32 a restart loop). With
 * all 24 on the bus (the driver still reads every one), names for all 24 from the twin, getStats and a hub outage, nothing aborts and
 * the heaps after GC stay flat.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedOneWireBus } from '../../simulator/hardware/onewire-bus';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { projectRoot } from '../xs/lane';
import { reportedOf, telemetryRoundsOf, until } from './hub-probe';
import { buildFirmware, emulatorConfig, endLane, heapTrend, laneManifest, requireSdk, runFirmware, type RunningFirmware } from './rig';

const ID = 'modsim-heap';
const ON_BUS = 24;
/** What src/device/heap-budget.ts gives for the ESP32's default heap. */
const HELD = 8;
const SOAK_MS = Math.min(Number(process.env.MODDABLE_SOAK_MS ?? 600_000), 120_000);
const results = path.join(projectRoot, 'test-results');

/** The ROM ids of the firmware's simulated bus (hosts/moddable/onewire/bus.ts: seed 1, sensors added in order). */
function simulatedRomIds(n: number): string[] {
  const bus = new SimulatedOneWireBus({ seed: 1, now: () => 0 });
  return Array.from({ length: n }, () => bus.addSensor().id);
}
let dataDir: string;
let hub: Hub;
let firmware: RunningFirmware;

beforeAll(async () => {
  const sdk = requireSdk();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'thermo-moddable-heap-'));
  hub = await startHub({ dataDir, mqttPort: 0, httpPort: null, dpsPort: null });
  hub.createDevice({ deviceId: ID });
  const mcso = buildFirmware(sdk, laneManifest('heap-budget-lane', ON_BUS), {
    ...emulatorConfig(hub, ID, dataDir, hub.mqttPort),
    simSensors: ON_BUS,
    maxSensors: ON_BUS,
    // As in many-sensors.lane.ts: 24 simulated sensors bit by bit in JS keep mcsim busy at 2 s.
    sampleIntervalMs: 10_000,
    telemetryIntervalMs: 10_000,
    memoryProbeMs: 5_000,
  });
  firmware = await runFirmware(sdk, mcso, path.join(results, 'moddable-lane-heap.log'));
  await firmware.waitForLine(/hub: hub connected/, 180_000);
}, 30 * 60_000);

afterAll(() => endLane(firmware, path.join(results, 'moddable-lane-heap.png'), hub, dataDir));

describe(`the firmware configured for ${ON_BUS} sensors in a heap that holds ${HELD}`, () => {
  it(`says at boot that the heap holds ${HELD}, tracks ${HELD}, and reports the ${ON_BUS - HELD} beyond in lastError`, async () => {
    const line = await firmware.waitForLine(new RegExp(`heap: maxSensors ${ON_BUS} is more than this heap holds`), 10_000, 0);
    expect(line).toContain('4928 slots hold 8 sensors at 128 slots each, 78848 B of chunk hold 8 sensors at 1536 B each');
    expect(line).toContain('tracking at most 8');
    const t = await until(`telemetry with ${HELD} sensors valued`, () => telemetryRoundsOf(hub, ID).find((b) => b.sensors.length === HELD && b.sensors.every((s) => s.value !== null)), firmware, 120_000);
    expect(new Set(t.sensors.map((s) => s.id)).size).toBe(HELD);
    const lastError = await until('lastError naming the untracked sensors', () => {
      const e = reportedOf(hub, ID).lastError as { source: string; message: string } | null | undefined;
      return e && e.source === 'sensors' && e.message.includes(`${ON_BUS - HELD} sensor(s) on the bus not tracked`) ? e : undefined;
    }, firmware, 60_000);
    expect(lastError.message).toContain(`maxSensors is ${HELD}`);
    expect(firmware.fatalLines()).toEqual([]);
  });

  it(`names for all ${ON_BUS} from the twin, getStats and a 20 s outage: tracked ones named, nothing aborts`, async () => {
    const ids = telemetryRoundsOf(hub, ID).find((b) => b.sensors.length === HELD)!.sensors.map((s) => s.id);
    const sensors: Record<string, { name: string }> = {};
    // Names for the whole bus, as a cold store would label it: the untracked sensors' ROM ids are
    // not in telemetry, so they come from the same simulated bus built here (same seed, same order).
    const all = simulatedRomIds(ON_BUS);
    for (const id of ids) expect(all).toContain(id);
    all.forEach((id, i) => (sensors[id] = { name: `Kühlraum Süd Fühler ${i + 1}` }));
    hub.updateDesired(ID, { sensors });
    await until('telemetry with every name', () => telemetryRoundsOf(hub, ID).find((b) => b.sensors.length === HELD && b.sensors.every((s) => s.name === sensors[s.id]?.name)), firmware, 60_000);
    const stats = await until(`getStats with ${HELD} sensors`, async () => {
      const r = await hub.invokeMethod(ID, 'getStats', {}, 20);
      const list = (r.payload as { sensors?: unknown[] }).sensors ?? [];
      return r.status === 200 && list.length === HELD ? r : undefined;
    }, firmware, 60_000);
    expect(stats.status).toBe(200);
    const port = hub.mqttPort;
    const from = firmware.lines.length;
    await hub.stop();
    await new Promise((r) => setTimeout(r, 20_000));
    hub = await startHub({ dataDir, mqttPort: port, httpPort: null, dpsPort: null });
    await firmware.waitForLine(/hub: hub connected/, 120_000, from);
    expect(firmware.fatalLines()).toEqual([]);
  });

  it(`slot and chunk heaps after GC stay flat over ${Math.round(SOAK_MS / 60_000)} minutes`, async () => {
    const start = firmware.memory.length;
    await new Promise((r) => setTimeout(r, SOAK_MS));
    const soak = firmware.memory.slice(start);
    expect(soak.length).toBeGreaterThanOrEqual(Math.floor(SOAK_MS / 5_000) - 2);
    const trend = heapTrend(soak);
    expect(trend.flat, JSON.stringify(trend)).toBe(true);
    expect(firmware.alive).toBe(true);
    expect(firmware.fatalLines()).toEqual([]);
  }, SOAK_MS + 120_000);
});
