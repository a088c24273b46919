/**
 * The Moddable lane with a full bus (issue 11): the firmware built for 24 simulated DS18B20s
 * (`simSensors=24 maxSensors=24`, the default 60-sample window) in mcsim with the ESP32's heap plus EXTRA
 * (24 sensors do not fit the default: see below), and what the
 * simulated sensors' own models take (rig.ts SIM_SENSOR_*, not on a device), against the
 * emulator on loopback. Every sensor is tracked and in telemetry (a
 * message over 4 KB), getStats answers for all 24 in one method response several socket
 * writes long, the reported twin lists them, and the heaps after GC stay flat. Built from its
 * own generated manifest (build/moddable/manifests/many-sensors-lane), so its build directory
 * is not the main lane's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { projectRoot } from '../xs/lane';
import { reportedOf, telemetryOf, until } from './hub-probe';
import { buildFirmware, emulatorConfig, endLane, ESP32_CHUNK, ESP32_SLOTS, heapTrend, laneManifest, requireSdk, runFirmware, SIM_SENSOR_CHUNK, SIM_SENSOR_SLOTS, type RunningFirmware } from './rig';

const ID = 'modsim-24';
const SENSORS = 24;
const SOAK_MS = Math.min(Number(process.env.MODDABLE_SOAK_MS ?? 600_000), 180_000);
/**
 * Heap beyond the ESP32's default (4,928 slots, 78,848 B chunk). Measured in mcsim, 24 sensors do
 * not fit it: with 2,048 more slots the device still held 5,238 slots and 60 KB of chunk after GC
 * just after connecting, and ran out of chunk. This lane shows the firmware working with a full
 * bus and measures what it takes (printed, and in hosts/moddable/README.md); a device needs that
 * much in its manifest's creation sizes (an ESP32 with PSRAM), or fewer sensors.
 */
const EXTRA = { slots: 8192, chunk: 65_536 };
/** Slot size in the 64-bit simulator (16 B on the ESP32: counts carry over). */
const SIM_SLOT_BYTES = 32;
const results = path.join(projectRoot, 'test-results');
let dataDir: string;
let hub: Hub;
let firmware: RunningFirmware;

beforeAll(async () => {
  const sdk = requireSdk();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'thermo-moddable-24-'));
  hub = await startHub({ dataDir, mqttPort: 0, httpPort: null, dpsPort: null });
  hub.createDevice({ deviceId: ID });
  const mcso = buildFirmware(sdk, laneManifest('many-sensors-lane', SENSORS, EXTRA), {
    ...emulatorConfig(hub, ID, dataDir, hub.mqttPort),
    simSensors: SENSORS,
    maxSensors: SENSORS,
    // 24 sensors with names make telemetry of about 9 KB, more than the firmware's 8 KB outbox
    // (such a message is refused and reported). It is also more than one NVS value (3,999 B),
    // so through an outage it is kept in RAM only (reported in lastError).
    outboxMaxBytes: 32_768,
    // The firmware's default sampling (10 s): at 2 s the simulated bus (bit by bit in JS, in the
    // debug build) of 24 sensors kept mcsim so busy that it stopped logging within minutes.
    sampleIntervalMs: 10_000,
    telemetryIntervalMs: 10_000,
    memoryProbeMs: 10_000,
  });
  firmware = await runFirmware(sdk, mcso, path.join(results, 'moddable-lane-24.log'));
  await firmware.waitForLine(/hub: hub connected/, 180_000);
}, 45 * 60_000);

afterAll(() => endLane(firmware, path.join(results, 'moddable-lane-24.png'), hub, dataDir));

describe(`the firmware in the Moddable simulator with ${SENSORS} sensors on the bus`, () => {
  it('telemetry carries every sensor with a value; with names from the twin one message is over 4 KB', async () => {
    const t = await until('telemetry with every sensor valued', () => telemetryOf(hub, ID).find((b) => b.sensors.length === SENSORS && b.sensors.every((s) => s.value !== null)), firmware, 120_000);
    const ids = t.sensors.map((s) => s.id);
    expect(new Set(ids).size).toBe(SENSORS);
    for (const id of ids) expect(id).toMatch(/^28[0-9A-F]{14}$/);
    // Names with umlauts for every sensor (as a cold store would label them): 24 of them make
    // one telemetry message over 4 KB.
    const sensors: Record<string, { name: string }> = {};
    ids.forEach((id, i) => (sensors[id] = { name: `Kühlraum Süd Fühler ${i + 1}` }));
    hub.updateDesired(ID, { sensors });
    const named = await until('telemetry with every name', () => telemetryOf(hub, ID).find((b) => b.sensors.length === SENSORS && b.sensors.every((s) => s.name === sensors[s.id]?.name)), firmware, 60_000);
    expect(Buffer.byteLength(JSON.stringify(named))).toBeGreaterThan(4096);
    expect(firmware.fatalLines()).toEqual([]);
  });

  it('getStats answers for all 24 sensors, with their window statistics', async () => {
    await until('24 sensors with statistics', async () => {
      const r = await hub.invokeMethod(ID, 'getStats', {}, 20);
      const sensors = (r.payload as { sensors?: { count: number }[] }).sensors ?? [];
      return r.status === 200 && sensors.length === SENSORS && sensors.every((s) => s.count >= 2) ? r : undefined;
    }, firmware, 120_000);
    const r = await hub.invokeMethod(ID, 'getStats', {}, 20);
    const text = JSON.stringify(r.payload);
    expect(Buffer.byteLength(text)).toBeGreaterThan(4 * 896); // several of the simulator socket's 896-byte writes
    const sensors = (r.payload as { sensors: { id: string; mean: number; std: number; min: number; max: number }[] }).sensors;
    for (const s of sensors) {
      expect(s.min).toBeLessThanOrEqual(s.mean);
      expect(s.mean).toBeLessThanOrEqual(s.max);
      expect(s.std).toBeGreaterThanOrEqual(0);
    }
    expect((await hub.invokeMethod(ID, 'identify', { durationMs: 1000 }, 20)).status).toBe(200);
    expect((await hub.invokeMethod(ID, 'setInterval', { telemetryIntervalMs: 5 }, 20)).status).toBe(400);
    expect((await hub.invokeMethod(ID, 'nothing', {}, 20)).status).toBe(404);
    expect(firmware.fatalLines()).toEqual([]);
  });

  it('the reported twin lists all 24 sensors with their names', async () => {
    const sensors = await until('24 sensors reported', () => {
      const map = reportedOf(hub, ID).sensors as Record<string, { name: string; status: string }> | undefined;
      return map && Object.keys(map).length === SENSORS && Object.values(map).every((s) => s.name.startsWith('Kühlraum')) ? map : undefined;
    }, firmware, 60_000);
    expect(Object.values(sensors).every((s) => s.status === 'online')).toBe(true);
  });

  it(`slot and chunk heaps after GC stay flat and within the ESP32's over ${Math.round(SOAK_MS / 60_000)} minutes`, async () => {
    // The MQTT session's output buffer grows by doubling to the largest packet sent so far and
    // is kept (src/mqtt/session.ts reserve): with 24 named sensors the telemetry that carries the
    // minute's aggregate is over 8 KB, so the buffer steps from 8 to 16 KB once. The soak starts
    // after such a message has gone, at the device's largest steady packet.
    const sent = telemetryOf(hub, ID).length;
    await until('telemetry with the aggregate after the names', () => telemetryOf(hub, ID).slice(sent).some((b) => (b as { aggregate?: unknown }).aggregate !== undefined), firmware, 120_000);
    const start = firmware.memory.length;
    await new Promise((r) => setTimeout(r, SOAK_MS));
    const soak = firmware.memory.slice(start);
    expect(soak.length).toBeGreaterThanOrEqual(Math.floor(SOAK_MS / 10_000) - 2);
    const trend = heapTrend(soak);
    expect(trend.flat, JSON.stringify(trend)).toBe(true);
    // The device's share: what the simulated sensors' models take is not on a device.
    const deviceSlots = Math.max(...soak.map((s) => s.slots / SIM_SLOT_BYTES)) - SENSORS * SIM_SENSOR_SLOTS;
    expect(deviceSlots).toBeLessThan(ESP32_SLOTS + EXTRA.slots);
    console.log(`24 sensors: device slots after GC at most ${deviceSlots} (ESP32 default ${ESP32_SLOTS}), chunk at most ${Math.max(...soak.map((s) => s.chunk)) - SENSORS * SIM_SENSOR_CHUNK} B`);
    expect(Math.max(...soak.map((s) => s.chunk)) - SENSORS * SIM_SENSOR_CHUNK).toBeLessThan(ESP32_CHUNK + EXTRA.chunk);
    expect(firmware.alive).toBe(true);
    expect(firmware.fatalLines()).toEqual([]);
  }, SOAK_MS + 240_000);
});
