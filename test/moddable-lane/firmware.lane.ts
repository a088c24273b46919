/**
 * The Moddable lane (`npm run test:moddable`): the firmware on Moddable's own runtime. It is built
 * for sim/moddable_two with a test configuration (8 simulated DS18B20s, 1 s sampling and
 * telemetry, the memory probe on) and runs in mcsim, headless, against the IoT Hub emulator on
 * loopback. Scenarios are driven through the emulator's service API (HTTP), and each asserts
 * what reaches the hub (valid UTF-8, JSON that parses, the right values) and that the firmware's
 * log shows no abort or lost exception. Last, a soak of 1 s telemetry (MODDABLE_SOAK_MS, default
 * 10 minutes) checks that the slot and chunk heaps after garbage collection stay flat, and the
 * memory figures go to bench/results/moddable-memory.json.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { projectRoot } from '../xs/lane';
import { buildFirmware, emulatorConfig, endLane, heapTrend, freePort, laneManifest, requireSdk, runFirmware, type RunningFirmware } from './rig';

const ID = 'modsim-lane';
/**
 * Eight sensors: what the firmware fits in the ESP32's heap. Measured here, 24 do not: each
 * sensor's analytics cost about 100 slots and 2.4 KB of chunk (60-sample window), and the first
 * samples after connecting ran out of slots (with 6,848) and of chunk (with 12,000 slots).
 */
const SENSORS = Number(process.env.MODDABLE_LANE_SENSORS ?? 8);
const SOAK_MS = Number(process.env.MODDABLE_SOAK_MS ?? 600_000);
const results = path.join(projectRoot, 'test-results');
let dataDir: string;
let hub: Hub;
let ports: { mqtt: number; http: number };
let firmware: RunningFirmware;
let mcso: string;
let sdk: ReturnType<typeof requireSdk>;

interface TelemetryBody {
  type: string;
  seq: number;
  /** Device time of the message, ms since the epoch (null before the clock is set). */
  ts: number | null;
  deviceId: string;
  sensors: { id: string; name: string; value: number | null; status: string }[];
}

interface D2C {
  body: string;
  bodyBase64: string;
  properties: Record<string, string>;
}

async function api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`http://127.0.0.1:${ports.http}/api${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
}

/** The hub's D2C events, each checked to be strict UTF-8 and JSON. */
async function telemetry(limit = 50): Promise<{ event: D2C; body: TelemetryBody }[]> {
  const { json } = await api<D2C[] | { events: D2C[] }>('GET', `/devices/${ID}/telemetry?limit=${limit}`);
  const events = Array.isArray(json) ? json : json.events;
  return events.map((event) => {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(event.bodyBase64, 'base64'));
    return { event, body: JSON.parse(text) as TelemetryBody };
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last firmware lines:\n${firmware?.lines.slice(-12).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Invokes a direct method through the service API: the device's status and payload. */
async function method(name: string, payload: unknown): Promise<{ status: number; payload: unknown }> {
  const { status, json } = await api<{ status: number; payload: unknown }>('POST', `/devices/${ID}/methods/${name}`, { payload, responseTimeoutInSeconds: 20 });
  expect(status).toBe(200);
  return json;
}

async function reported(): Promise<Record<string, unknown>> {
  const { json } = await api<{ properties: { reported: Record<string, unknown> } }>('GET', `/devices/${ID}/twin`);
  return json.properties.reported;
}

async function lastErrorMatching(re: RegExp): Promise<{ source: string; message: string }> {
  return until(`lastError matching ${re}`, async () => {
    const e = (await reported()).lastError as { source: string; message: string } | null;
    return e && re.test(e.message) ? e : undefined;
  });
}

function startEmulator(): Promise<Hub> {
  return startHub({ dataDir, mqttPort: ports.mqtt, httpPort: ports.http, dpsPort: null });
}

beforeAll(async () => {
  sdk = requireSdk();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'thermo-moddable-lane-'));
  ports = { mqtt: await freePort(), http: await freePort() };
  hub = await startEmulator();
  expect((await api('POST', '/devices', { deviceId: ID })).status).toBe(201);
  // The project's manifest with the slots of the simulated DS18B20s added to the ESP32's heap
  // (hosts/moddable/README.md); everything else as the firmware ships.
  mcso = buildFirmware(sdk, laneManifest('firmware-lane', SENSORS), {
    ...emulatorConfig(hub, ID, dataDir, ports.mqtt),
    simSensors: SENSORS,
    maxSensors: SENSORS, // the firmware default, which the ESP32 default heap holds (src/device/heap-budget.ts)
    sampleIntervalMs: 1000,
    telemetryIntervalMs: 1000,
    memoryProbeMs: 10_000,
  });
  firmware = await runFirmware(sdk, mcso, path.join(results, 'moddable-lane.log'));
  await firmware.waitForLine(/hub: hub connected/, 120_000);
}, 30 * 60_000);

afterAll(() => endLane(firmware, path.join(results, 'moddable-lane.png'), hub, dataDir));

describe('the firmware in the Moddable simulator against the emulator', () => {
  it('telemetry from every sensor reaches the hub as strict UTF-8 JSON with plausible values', async () => {
    const t = await until('telemetry with every sensor valued', async () =>
      (await telemetry()).find((e) => e.body.type === 'telemetry' && e.body.sensors.length === SENSORS && e.body.sensors.every((s) => s.value !== null)),
    );
    expect(t.body.deviceId).toBe(ID);
    // The ESP32's default heap holds 8 sensors (src/device/heap-budget.ts): the firmware lowers nothing.
    expect(firmware.lines.filter((l) => l.includes('heap: maxSensors'))).toEqual([]);
    for (const s of t.body.sensors) {
      expect(s.id).toMatch(/^28[0-9A-F]{14}$/);
      expect(s.value as number).toBeGreaterThan(15);
      expect(s.value as number).toBeLessThan(30);
    }
  });

  it('every direct method answers; getStats is several socket writes long', async () => {
    const stats = await method('getStats', {});
    expect(stats.status).toBe(200);
    const payload = stats.payload as { sensors: unknown[] };
    expect(payload.sensors).toHaveLength(SENSORS);
    expect(JSON.stringify(payload).length).toBeGreaterThan(896); // more than one socket write
    const set = await method('setInterval', { telemetryIntervalMs: 1000 });
    expect(set.status).toBe(200);
    const bad = await method('setInterval', { telemetryIntervalMs: 5 });
    expect(bad.status).toBe(400);
    const identify = await method('identify', { durationMs: 1500 });
    expect(identify.status).toBe(200);
    const unknown = await method('selfDestruct', {});
    expect(unknown.status).toBe(404);
    expect(firmware.fatalLines()).toEqual([]);
  });

  it('a limit alarm set through the twin: alarm=high reaches the hub, getStats and the display show it (docs/moddable-sim-alarm.png)', async () => {
    const first = await until('telemetry with a value', async () => (await telemetry()).find((e) => e.body.type === 'telemetry' && e.body.sensors[0]?.value !== null));
    const sensor = first.body.sensors[0]!;
    const high = Math.floor(sensor.value as number) - 3;
    const setting = { [sensor.id]: { high, hysteresis: 0.5, holdMs: 2000 } };
    expect((await api('PATCH', `/devices/${ID}/twin`, { properties: { desired: { alarms: setting } } })).status).toBe(200);
    const alarmOf = async (state: string) => (await telemetry(200)).find((e) => e.event.properties.alert === 'alarm' && (e.body as unknown as { state: string; sensor: { id: string } }).state === state && (e.body as unknown as { sensor: { id: string } }).sensor.id === sensor.id);
    const start = await until('the alarm=high start message', () => alarmOf('start'));
    expect(start.event.properties.alarm).toBe('high');
    expect((start.body as unknown as { limit: number }).limit).toBe(high);
    const stats = (await method('getStats', {})).payload as { sensors: { id: string; alarm: string | null }[] };
    expect(stats.sensors.find((s) => s.id === sensor.id)?.alarm).toBe('high');
    expect(stats.sensors.filter((s) => s.alarm !== null)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 2000)); // a sampling round or two: the display redraws
    expect(firmware.screenshot(path.join(projectRoot, 'docs/moddable-sim-alarm.png'))).toBe(true);
    expect((await api('PATCH', `/devices/${ID}/twin`, { properties: { desired: { alarms: { [sensor.id]: null } } } })).status).toBe(200);
    const end = await until('the alarm end message', () => alarmOf('end'));
    expect((end.body as unknown as { reason: string }).reason).toBe('reconfigured');
    expect(firmware.fatalLines()).toEqual([]);
  });

  it('emoji and non-ASCII sensor names from the twin: telemetry and the reported twin carry them intact', async () => {
    const first = (await telemetry()).find((e) => e.body.type === 'telemetry' && e.body.sensors.length === SENSORS);
    const ids = (first as { body: TelemetryBody }).body.sensors.map((s) => s.id);
    const names = ['😀'.repeat(24), 'Küche Süd', '温度计', 'Ω-Ø-ß—é', '🌡️'.repeat(12), 'ÄÖÜäöüß'.repeat(3), '😀 Keller 😀', '—'.repeat(24)];
    const sensors: Record<string, { name: string }> = {};
    names.forEach((name, i) => (sensors[ids[i]!] = { name }));
    expect((await api('PATCH', `/devices/${ID}/twin`, { properties: { desired: { sensors } } })).status).toBe(200);
    const t = await until('telemetry with the names', async () => (await telemetry()).find((e) => e.body.type === 'telemetry' && e.body.sensors.some((s) => s.name === names[0])));
    if (SENSORS >= 8) expect(Buffer.from(t.event.bodyBase64, 'base64').length).toBeGreaterThan(896); // more than one socket write
    names.forEach((name, i) => expect(t.body.sensors.find((s) => s.id === ids[i])?.name).toBe(name));
    const rep = await until('reported names', async () => {
      const s = (await reported()).sensors as Record<string, { name: string }> | undefined;
      return s && s[ids[0]!]?.name === names[0] ? s : undefined;
    });
    names.forEach((name, i) => expect(rep[ids[i]!]?.name).toBe(name));
  });

  it('C2D with emoji and with 1,000 non-ASCII characters is shown; 64 KB is completed unread and reported', async () => {
    const send = (body: string) => api('POST', `/devices/${ID}/c2d`, { body, properties: { sender: 'lane' } });
    const from = firmware.lines.length;
    const greeting = 'Grüße 😀 aus der Küche — 温度';
    expect((await send(greeting)).status).toBe(202);
    await firmware.waitForLine(new RegExp(`c2d: message shown \\(${Buffer.byteLength(greeting)} bytes of text\\)`), 30_000, from);
    expect((await send('ü' + 'ä'.repeat(999))).status).toBe(202);
    await firmware.waitForLine(/c2d: message shown \(\d+ bytes of text\)/, 30_000, firmware.lines.length - 1);
    expect((await send('ü' + 'a'.repeat(1000))).status).toBe(202);
    expect((await send('x'.repeat(64 * 1024 - 16))).status).toBe(202);
    const error = await lastErrorMatching(/larger than this device takes/);
    expect(error.source).toBe('c2d');
    await until('C2D queue empty', async () => ((await api<unknown[]>('GET', `/devices/${ID}/c2d`)).json ?? []).length === 0);
    expect(firmware.fatalLines()).toEqual([]);
  });

  it('a desired document near 32 KB with non-ASCII and emoji is refused and reported; the next patch applies', async () => {
    // Just under IoT Hub's 32 KB for the desired section, as UTF-8.
    const big: Record<string, string> = {};
    for (let i = 0; Buffer.byteLength(JSON.stringify(big)) < 30_000; i++) big[`note${i}`] = 'Grüße 😀 — '.repeat(40);
    expect((await api('PATCH', `/devices/${ID}/twin`, { properties: { desired: { notes: big } } })).status).toBe(200);
    await lastErrorMatching(/TOO_LARGE/);
    expect((await api('PATCH', `/devices/${ID}/twin`, { properties: { desired: { notes: null, telemetryIntervalMs: 2000 } } })).status).toBe(200);
    await until('config applied after the refused document', async () => ((await reported()).config as { telemetryIntervalMs?: number } | undefined)?.telemetryIntervalMs === 2000, 60_000);
    await api('PATCH', `/devices/${ID}/twin`, { properties: { desired: { telemetryIntervalMs: 1000 } } });
    expect(firmware.fatalLines()).toEqual([]);
  });

  it('a 30 s hub outage: the device reconnects; every message arrives or is counted as dropped by the full outbox', async () => {
    // 1 s telemetry for 30 s is more than the outbox's 8 KB hold: the oldest are dropped and
    // counted in outbox.overflow (README, "The outbox"); nothing may go missing uncounted.
    type Counted = TelemetryBody & { outbox?: { overflow: number; expired: number } };
    const lost = (b: Counted) => (b.outbox?.overflow ?? 0) + (b.outbox?.expired ?? 0);
    const last = (await telemetry(200)).filter((e) => e.body.type === 'telemetry').sort((a, b) => b.body.seq - a.body.seq)[0]!;
    const before = last.body.seq;
    const lostBefore = lost(last.body as Counted);
    await hub.stop();
    await new Promise((r) => setTimeout(r, 30_000));
    hub = await startEmulator();
    await firmware.waitForLine(/hub: hub connected/, 120_000, firmware.lines.length - 400);
    const after = await until('telemetry past the outage', async () => {
      const all = (await telemetry(500)).filter((e) => e.body.type === 'telemetry');
      return all.some((e) => e.body.seq > before + 40) ? all : undefined;
    }, 120_000);
    const newest = after.sort((a, b) => b.body.seq - a.body.seq)[0]!;
    const seqs = after.map((e) => e.body.seq).filter((s) => s > before);
    const missing = [];
    for (let s = before + 1; s <= newest.body.seq; s++) if (seqs.indexOf(s) < 0) missing.push(s);
    expect(missing.length).toBe(lost(newest.body as Counted) - lostBefore);
    expect(firmware.fatalLines()).toEqual([]);
  });

  it('an application restart (reboot method) comes back connected and sending', async () => {
    const from = firmware.lines.length;
    const r = await method('reboot', { delayMs: 500 });
    expect(r.status).toBe(200);
    await firmware.waitForLine(/reboot requested/, 10_000, from);
    await firmware.waitForLine(/hub: hub connected/, 60_000, from);
    const count = (await telemetry(500)).length;
    await until('telemetry after the restart', async () => (await telemetry(500)).length > count + 2);
    expect(firmware.fatalLines()).toEqual([]);
  });

  it('a power cut during an outage: the messages stored meanwhile reach the hub after the simulator starts again', async () => {
    // While the hub is unreachable every message is stored at once (telemetry-pump.ts); the
    // simulator is then killed (SIGKILL: nothing saved on the way out) and started again from
    // the same storage folder, as a device whose supply failed. Its first connection sends them.
    const seqOf = (e: { body: TelemetryBody }) => e.body.seq;
    const before = Math.max(...(await telemetry(200)).filter((e) => e.body.type === 'telemetry').map(seqOf));
    await hub.stop();
    const outageFrom = Date.now();
    await new Promise((r) => setTimeout(r, 8_000));
    await firmware.powerCut();
    const cutAt = Date.now();
    hub = await startEmulator();
    firmware = await runFirmware(sdk, mcso, path.join(results, 'moddable-lane.log'), { appendLog: true });
    await firmware.waitForLine(/hub: hub connected/, 120_000, 0);
    const stored = await until('messages of the outage', async () => {
      const during = (await telemetry(500)).filter((e) => e.body.type === 'telemetry' && e.body.seq > before && (e.body.ts ?? 0) >= outageFrom - 1000 && (e.body.ts ?? Infinity) <= cutAt);
      return during.length >= 3 ? during : undefined;
    }, 120_000);
    // Numbered after what the hub had, never reused: the stored sequence block moves forward.
    const seqs = stored.map(seqOf);
    expect(new Set(seqs).size).toBe(seqs.length);
    await until('telemetry of the new run', async () => (await telemetry(500)).some((e) => e.body.type === 'telemetry' && e.body.seq > Math.max(...seqs)));
    expect(firmware.fatalLines()).toEqual([]);
  });

  it(`slot and chunk heaps after GC stay flat over ${Math.round(SOAK_MS / 60000)} minutes of 1 s telemetry`, async () => {
    const start = firmware.memory.length;
    await new Promise((r) => setTimeout(r, SOAK_MS));
    const soak = firmware.memory.slice(start);
    expect(soak.length).toBeGreaterThanOrEqual(Math.floor(SOAK_MS / 10_000) - 2);
    const trend = heapTrend(soak);
    expect(trend.flat, JSON.stringify(trend)).toBe(true);
    expect(firmware.alive).toBe(true);
    expect(firmware.fatalLines()).toEqual([]);
    // Record the figures as bench/results/moddable-memory.json (bench/moddable-memory.ts reads the log).
    const log = path.join(results, 'moddable-lane.log');
    const out = spawnSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'bench/moddable-memory.ts'), log, '--sensors', String(SENSORS)], { cwd: projectRoot, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
  }, SOAK_MS + 120_000);
});
