/**
 * The Moddable lane for the sensors and the twin in the field (issue 12): the firmware in mcsim
 * with two simulated DS18B20s and a test-only fault schedule for its simulated bus (config
 * `simFaults`, hosts/moddable/onewire/fault-schedule.ts; empty in the shipped manifest), built
 * from test/moddable-lane/sensors/manifest.json (its own build directory). The desired twin asks
 * for 9-bit resolution before the device first connects. Each scenario asserts what reaches the
 * hub (telemetry, the reported twin):
 * - sensor 1's configuration register ignores writes from boot: its real resolution (12) is
 *   reported and the setting refused for it with the reason; sensor 0 is at 9 bits;
 * - a third sensor is plugged in after boot: in telemetry and online in the reported twin within 60 s;
 * - sensor 0's EEPROM is made to say 12 bits, then the bus power-cycles: no 85 °C reaches the hub,
 *   the device notices the sensor back at 12 bits and applies 9 again;
 * - the third sensor is unplugged: missing in telemetry and in the reported twin;
 * - the device's twin is re-created on the hub (desired version drops): after reconnecting, the
 *   device applies the new twin's settings and the next patch.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { projectRoot } from '../xs/lane';
import { reportedOf, telemetryOf, until } from './hub-probe';
import { buildFirmware, emulatorConfig, requireSdk, runFirmware, type RunningFirmware } from './rig';

const ID = 'modsim-sensors';
/** ms from boot: sensor 1 locked at once; a sensor plugged in at 40 s; sensor 0's EEPROM at 12 bits, then a power cycle at 80 s; the plugged sensor gone at 110 s. */
const FAULTS = '0:lock:1;40000:add;79000:eeprom12:0;80000:power;110000:remove:2';
const results = path.join(projectRoot, 'test-results');
let dataDir: string;
let hub: Hub;
let firmware: RunningFirmware;
let primaryKey: string;

type ReportedSensors = Record<string, { status?: string; resolution?: number | null } | null>;

function sensorsReported(): ReportedSensors {
  return (reportedOf(hub, ID).sensors ?? {}) as ReportedSensors;
}

/** The id the fault schedule logged for `sensor` (its creation index). */
async function sensorId(sensor: number, timeoutMs = 120_000): Promise<string> {
  const line = await firmware.waitForLine(new RegExp(`sim bus: sensor ${sensor} (?:is|plugged in:) (28[0-9A-F]{14})`), timeoutMs, 0);
  return /(28[0-9A-F]{14})/.exec(line)![1]!;
}

beforeAll(async () => {
  const sdk = requireSdk();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'thermo-moddable-sensors-'));
  hub = await startHub({ dataDir, mqttPort: 0, httpPort: null, dpsPort: null });
  primaryKey = hub.createDevice({ deviceId: ID }).primaryKey as string;
  hub.updateDesired(ID, { resolution: 9 });
  hub.updateDesired(ID, { telemetryIntervalMs: 2000 });
  hub.updateDesired(ID, { samplingIntervalMs: 1000 }); // desired version 4 before the device first connects
  const mcso = buildFirmware(sdk, path.join(projectRoot, 'test/moddable-lane/sensors'), {
    ...emulatorConfig(hub, ID, dataDir, hub.mqttPort),
    simSensors: 2,
    simFaults: FAULTS,
    sampleIntervalMs: 1000,
    telemetryIntervalMs: 2000,
  });
  firmware = await runFirmware(sdk, mcso, path.join(results, 'moddable-lane-sensors.log'));
  await firmware.waitForLine(/hub: hub connected/, 180_000);
}, 30 * 60_000);

afterAll(async () => {
  if (firmware) {
    firmware.screenshot(path.join(results, 'moddable-lane-sensors.png'));
    await firmware.stop();
  }
  await hub?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('sensors and twin in the field, in the Moddable simulator', () => {
  it('a sensor whose configuration register ignores writes: its real resolution is reported, the setting refused with the reason', async () => {
    const [s0, s1] = [await sensorId(0), await sensorId(1)];
    await firmware.waitForLine(new RegExp(`sim bus: sensor 1 configuration register locked: ${s1}`), 30_000, 0);
    const refused = await until('resolution refused for sensor 1', () => {
      const r = reportedOf(hub, ID).refused as Record<string, string | null> | undefined;
      return r?.[`resolution/${s1}`] ?? undefined;
    }, firmware, 60_000);
    expect(refused).toMatch(/^9 bits: the configuration register ignores writes: wrote 1Fh, reads 7Fh \(12 bits\)$/);
    await until('resolutions reported', () => sensorsReported()[s0]?.resolution === 9 && sensorsReported()[s1]?.resolution === 12, firmware);
    // Sensor 0 at 9 bits: its values are multiples of 0.5 °C.
    const t = await until('telemetry from both', () => telemetryOf(hub, ID).reverse().find((b) => b.sensors.filter((s) => s.value !== null).length === 2), firmware);
    expect(((t.sensors.find((s) => s.id === s0)?.value as number) * 2) % 1).toBe(0);
    expect(firmware.fatalLines()).toEqual([]);
  });

  it('a sensor plugged in after boot is in telemetry and online in the reported twin within 60 s', async () => {
    const plugged = await sensorId(2, 120_000);
    const at = Date.now();
    await until('the plugged sensor in telemetry and the twin', () => {
      const inTelemetry = telemetryOf(hub, ID).some((b) => b.sensors.some((s) => s.id === plugged && s.value !== null && s.status === 'online'));
      return inTelemetry && sensorsReported()[plugged]?.status === 'online';
    }, firmware, 60_000);
    const delayMs = Date.now() - at;
    expect(delayMs).toBeLessThanOrEqual(60_000);
    // It gets the configured resolution too.
    await until('9 bits on the plugged sensor', () => sensorsReported()[plugged]?.resolution === 9, firmware);
  }, 150_000);

  it('a bus power cycle with a sensor back at 12 bits: no 85 °C reaches the hub, and 9 bits are applied again', async () => {
    const s0 = await sensorId(0);
    const cycle = await firmware.waitForLine(/sim bus: power cycle/, 120_000, 0);
    expect(cycle).toBeTruthy();
    const from = telemetryOf(hub, ID).length;
    await firmware.waitForLine(new RegExp(`${s0}.*reads 12 bits, configured 9|reads 12 bits, configured 9`), 30_000, 0);
    await new Promise((r) => setTimeout(r, 8000));
    const after = telemetryOf(hub, ID).slice(from);
    expect(after.length).toBeGreaterThan(2);
    const values = after.flatMap((b) => b.sensors.map((s) => s.value)).filter((v): v is number => v !== null);
    expect(values.filter((v) => v === 85)).toEqual([]);
    // The last messages: sensor 0 at 9 bits again (multiples of 0.5 °C), still reported 9.
    const last = after.slice(-2).map((b) => b.sensors.find((s) => s.id === s0)?.value as number);
    for (const v of last) expect((v * 2) % 1).toBe(0);
    expect(sensorsReported()[s0]?.resolution).toBe(9);
    expect(firmware.fatalLines()).toEqual([]);
  }, 180_000);

  it('a sensor unplugged is marked missing in telemetry and in the reported twin', async () => {
    const plugged = await sensorId(2);
    await firmware.waitForLine(new RegExp(`sim bus: sensor 2 unplugged: ${plugged}`), 120_000, 0);
    await until('missing in telemetry and the twin', () => {
      const last = telemetryOf(hub, ID).pop();
      return last?.sensors.find((s) => s.id === plugged)?.status === 'missing' && sensorsReported()[plugged]?.status === 'missing';
    }, firmware, 30_000);
  }, 150_000);

  it('a re-created twin (desired version drops): the device applies it after reconnecting, and the next patch', async () => {
    const before = (hub.twin(ID) as { properties: { desired: { $version: number } } }).properties.desired.$version;
    expect(before).toBeGreaterThanOrEqual(4);
    const gone = new Promise<void>((resolve) => {
      const onGone = (e: { deviceId: string }): void => {
        if (e.deviceId !== ID) return;
        hub.off('disconnected', onGone);
        resolve();
      };
      hub.on('disconnected', onGone);
    });
    const from = firmware.lines.length;
    expect((await hub.invokeMethod(ID, 'reboot', { delayMs: 500 }, 20)).status).toBe(200);
    await gone;
    // While the application restarts: the device is deleted and created again with the same key.
    await hub.deleteDevice(ID);
    hub.createDevice({ deviceId: ID, primaryKey });
    const version = hub.updateDesired(ID, { telemetryIntervalMs: 3000 });
    expect(version).toBeLessThan(before);
    await firmware.waitForLine(/hub: hub connected/, 120_000, from);
    await until('the re-created twin applied', () => (reportedOf(hub, ID).config as { telemetryIntervalMs?: number } | undefined)?.telemetryIntervalMs === 3000, firmware, 60_000);
    hub.updateDesired(ID, { telemetryIntervalMs: 4000 });
    await until('the next patch applied', () => (reportedOf(hub, ID).config as { telemetryIntervalMs?: number } | undefined)?.telemetryIntervalMs === 4000, firmware, 60_000);
    expect(firmware.fatalLines()).toEqual([]);
    expect(firmware.alive).toBe(true);
  }, 240_000);
});
