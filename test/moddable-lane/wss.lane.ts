/**
 * The Moddable lane over MQTT over WebSockets (issue 17): the firmware built with
 * `transport=auto`, its MQTT port (`hubPort`) pointing at a closed loopback port (a network
 * that blocks 8883), and `hubWssPort` at the emulator's wss endpoint (through a counting relay,
 * so the test sees which port carried the session). In mcsim the firmware must find 8883
 * refused, move to wss, and run its whole flow there: telemetry, a direct method, a C2D
 * message on the display, a twin patch applied and reported; after an application restart it
 * probes 8883 again (the choice is remembered until restart) and comes back over wss.
 * Built from test/moddable-lane/wss/manifest.json (the lane's manifest), so its build directory
 * (build/moddable/.../wss) is not the main lane's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { projectRoot } from '../xs/lane';
import { reportedOf, startRelay, telemetryOf, until, type Relay } from './hub-probe';
import { buildFirmware, emulatorConfig, freePort, requireSdk, runFirmware, type RunningFirmware } from './rig';

const ID = 'modsim-wss';
const SENSORS = 3;
const results = path.join(projectRoot, 'test-results');
let dataDir: string;
let hub: Hub;
let relay: Relay;
let closedPort: number;
let firmware: RunningFirmware;

beforeAll(async () => {
  const sdk = requireSdk();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'thermo-moddable-wss-'));
  hub = await startHub({ dataDir, mqttPort: 0, httpPort: null, dpsPort: null, wssPort: 0 });
  hub.createDevice({ deviceId: ID });
  relay = await startRelay(hub.wssPort as number);
  closedPort = await freePort(); // nothing listens there: a connect is refused, as a firewall blocking 8883 does
  const mcso = buildFirmware(sdk, path.join(projectRoot, 'test/moddable-lane/wss'), {
    ...emulatorConfig(hub, ID, dataDir, closedPort),
    transport: 'auto',
    hubWssPort: relay.port,
    simSensors: SENSORS,
    sampleIntervalMs: 1000,
    telemetryIntervalMs: 1000,
  });
  firmware = await runFirmware(sdk, mcso, path.join(results, 'moddable-lane-wss.log'));
  await firmware.waitForLine(/hub: hub connected/, 180_000);
}, 30 * 60_000);

afterAll(async () => {
  if (firmware) {
    firmware.screenshot(path.join(results, 'moddable-lane-wss.png'));
    await firmware.stop();
  }
  await relay?.close();
  await hub?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the firmware in the Moddable simulator over wss (transport=auto, the MQTT port closed)', () => {
  it('falls back to the wss port and sends telemetry from every sensor there', async () => {
    const t = await until('telemetry with every sensor valued', () => telemetryOf(hub, ID).find((b) => b.sensors.length === SENSORS && b.sensors.every((s) => s.value !== null)), firmware);
    expect(t.deviceId).toBe(ID);
    for (const s of t.sensors) {
      expect(s.id).toMatch(/^28[0-9A-F]{14}$/);
      expect(s.value as number).toBeGreaterThan(15);
      expect(s.value as number).toBeLessThan(30);
    }
    // The only way to the hub was the relay to the wss endpoint: the MQTT port it was given is closed.
    expect(relay.connections).toBe(1);
    expect(relay.bytesIn).toBeGreaterThan(1000);
    expect(hub.isConnected(ID)).toBe(true);
  });

  it('a direct method answers over wss, with a payload longer than one WebSocket frame', async () => {
    const stats = await hub.invokeMethod(ID, 'getStats', {}, 20);
    expect(stats.status).toBe(200);
    const payload = stats.payload as { deviceId: string; sensors: unknown[] };
    expect(payload.deviceId).toBe(ID);
    expect(payload.sensors).toHaveLength(SENSORS);
    expect((await hub.invokeMethod(ID, 'setInterval', { telemetryIntervalMs: 5 }, 20)).status).toBe(400);
    expect((await hub.invokeMethod(ID, 'selfDestruct', {}, 20)).status).toBe(404);
  });

  it('C2D messages reach the display over wss, one of 2,000 bytes across several reads', async () => {
    const from = firmware.lines.length;
    const greeting = 'Grüße über 443 😀';
    hub.sendC2D(ID, { body: Buffer.from(greeting, 'utf8'), properties: { sender: 'lane' } });
    await firmware.waitForLine(new RegExp(`c2d: message shown \\(${Buffer.byteLength(greeting)} bytes of text\\)`), 30_000, from);
    const next = firmware.lines.length;
    hub.sendC2D(ID, { body: Buffer.from('ä'.repeat(1000), 'utf8') }); // the display shortens it
    await firmware.waitForLine(/c2d: message shown \(\d+ bytes of text\)/, 30_000, next);
    await until('C2D queue empty', () => hub.c2dQueue(ID).length === 0, firmware);
  });

  it('a twin patch is applied and reported over wss', async () => {
    hub.updateDesired(ID, { telemetryIntervalMs: 2000 });
    await until('config reported', () => (reportedOf(hub, ID).config as { telemetryIntervalMs?: number } | undefined)?.telemetryIntervalMs === 2000, firmware, 60_000);
    const count = telemetryOf(hub, ID).length;
    await until('telemetry at the new interval', () => telemetryOf(hub, ID).length >= count + 2, firmware);
    expect(relay.connections).toBe(1);
    expect(firmware.fatalLines()).toEqual([]);
  });

  it('after an application restart, auto probes the MQTT port again and comes back over wss', async () => {
    const from = firmware.lines.length;
    const before = relay.connections;
    expect((await hub.invokeMethod(ID, 'reboot', { delayMs: 500 }, 20)).status).toBe(200);
    await firmware.waitForLine(/reboot requested/, 10_000, from);
    await firmware.waitForLine(/hub: hub connected/, 90_000, from);
    expect(relay.connections).toBe(before + 1);
    const count = telemetryOf(hub, ID).length;
    await until('telemetry after the restart', () => telemetryOf(hub, ID).length > count + 1, firmware);
    expect(firmware.fatalLines()).toEqual([]);
    expect(firmware.alive).toBe(true);
  });
});
