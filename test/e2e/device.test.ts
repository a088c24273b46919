/**
 * End to end on the Node host: the simulator's device (src/device on hosts/node, simulated
 * DS18B20 bus) against the IoT Hub emulator over TLS, as `npm start` runs it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/main';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { tempDir, waitFor } from './helpers';

interface Telemetry {
  v: number;
  type: string;
  deviceId: string;
  seq: number;
  ts: number;
  uptimeMs: number;
  sensors: { id: string; name: string; value: number | null; mean: number | null; std: number | null; min: number | null; max: number | null; z: number | null; anomaly: boolean; anomalyKind: string | null; status: string }[];
  outbox: { pending: number; overflow: number; expired: number };
}

const ID = 'sim-1';
let dir: string;
let hub: Hub;
let sim: Simulator;

function bodies(h: Hub, type?: string): Telemetry[] {
  return h
    .telemetry(ID)
    .map((e) => e.json as Telemetry)
    .filter((b) => b && (type === undefined || b.type === type));
}

function reported(h: Hub): Record<string, unknown> {
  const twin = h.twin(ID) as { properties: { reported: Record<string, unknown> } };
  return twin.properties.reported;
}

beforeAll(async () => {
  dir = tempDir('thermo-e2e-');
  hub = await startHub({ dataDir: path.join(dir, 'hub'), mqttPort: 0, httpPort: 0, dpsPort: null });
  sim = await startSimulator({ hub, dataDir: dir, dashboardPort: 0, log: 'warn', config: { samplingIntervalMs: 250, telemetryIntervalMs: 1000 } });
});

afterAll(async () => {
  await sim?.stop();
  await hub?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('device on the Node host against the IoT Hub emulator', () => {
  it('telemetry reaches the emulator with the documented schema and properties', async () => {
    const event = await waitFor('telemetry', () => hub.telemetry(ID).find((e) => (e.json as Telemetry | undefined)?.type === 'telemetry' && (e.json as Telemetry).sensors.every((s) => s.mean !== null)));
    expect(event.properties.type).toBe('telemetry');
    expect(event.contentType).toBe('application/json');
    const t = event.json as Telemetry;
    expect(t.v).toBe(1);
    expect(t.deviceId).toBe(ID);
    expect(Number.isInteger(t.seq)).toBe(true);
    expect(Math.abs(t.ts - Date.now())).toBeLessThan(60000);
    expect(t.sensors).toHaveLength(3);
    for (const s of t.sensors) {
      expect(s.id).toMatch(/^28[0-9A-F]{14}$/);
      expect(Object.keys(s).sort()).toEqual(['anomaly', 'anomalyKind', 'id', 'max', 'mean', 'min', 'name', 'status', 'std', 'value', 'z']);
      expect(s.anomalyKind).toBeNull();
      expect(s.status).toBe('online');
      expect(s.value).toBeGreaterThan(15);
      expect(s.value).toBeLessThan(30);
      expect(s.min as number).toBeLessThanOrEqual(s.max as number);
    }
    expect(t.outbox).toEqual({ pending: expect.any(Number), overflow: 0, expired: 0 });
  });

  it('a C2D message reaches the display model (and the dashboard API)', async () => {
    hub.sendC2D(ID, { body: Buffer.from('Ice cream in the kitchen \u0007!', 'utf8'), properties: { sender: 'facilities' } });
    const message = await waitFor('message on display', () => {
      const m = sim.devices[0].host.display.latest?.message;
      return m && m.text.startsWith('Ice cream') ? m : undefined;
    });
    expect(message.text).toBe('Ice cream in the kitchen !');
    expect(message.sender).toBe('facilities');
    const res = await fetch(`${sim.dashboard.url}/api/devices/${ID}/display`);
    const model = (await res.json()) as { message: { text: string }; status: { hub: string } };
    expect(model.message.text).toBe('Ice cream in the kitchen !');
    expect(model.status.hub).toBe('connected');
  });

  it('a twin change is applied and reported; an invalid one is refused and reported', async () => {
    hub.updateDesired(ID, { samplingIntervalMs: 500, resolution: 42 });
    const r = await waitFor('reported config', () => {
      const rep = reported(hub) as { config?: { samplingIntervalMs: number }; refused?: Record<string, string> };
      return rep.config?.samplingIntervalMs === 500 && rep.refused?.resolution ? rep : undefined;
    });
    expect(sim.devices[0].app.config.samplingIntervalMs).toBe(500);
    expect(sim.devices[0].app.config.resolution).toBe(12);
    expect(r.refused?.resolution).toMatch(/above the maximum 12/);
    expect((r as { firmware?: string }).firmware).toBe('0.1.0');
    hub.updateDesired(ID, { samplingIntervalMs: 250 });
    await waitFor('sampling back to 250', () => (reported(hub) as { config?: { samplingIntervalMs: number } }).config?.samplingIntervalMs === 250);
  });

  it('direct methods answer: getStats, setInterval, identify, unknown is 404', async () => {
    const stats = await hub.invokeMethod(ID, 'getStats', null, 10);
    expect(stats.status).toBe(200);
    const p = stats.payload as { deviceId: string; sensors: { count: number }[]; hub: string };
    expect(p.deviceId).toBe(ID);
    expect(p.sensors).toHaveLength(3);
    expect(p.sensors[0].count).toBeGreaterThan(0);
    expect((await hub.invokeMethod(ID, 'setInterval', { telemetryIntervalMs: 10 }, 10)).status).toBe(400);
    const ok = await hub.invokeMethod(ID, 'setInterval', { telemetryIntervalMs: 1500 }, 10);
    expect(ok.status).toBe(200);
    expect(sim.devices[0].app.config.telemetryIntervalMs).toBe(1500);
    const identify = await hub.invokeMethod(ID, 'identify', { durationMs: 2000 }, 10);
    expect(identify.status).toBe(200);
    expect(sim.devices[0].host.display.latest?.identify).toBe(true);
    expect((await hub.invokeMethod(ID, 'selfDestruct', {}, 10)).status).toBe(404);
    await hub.invokeMethod(ID, 'setInterval', { telemetryIntervalMs: 1000 }, 10);
  });

  it('sensor names and offsets set through the service API reach the reported properties, telemetry and display', async () => {
    const dev = sim.devices[0];
    const [, kitchen, other] = dev.bus.devices;
    // An exact, steady temperature on the sensor under test, so the offset shows exactly.
    kitchen.thermal.noise = 0;
    dev.bus.setAmbient(kitchen.id, 24);
    const sensorIn = (t: Telemetry | undefined, id: string) => t?.sensors.find((s) => s.id === id);
    const before = await waitFor('raw 24 °C in telemetry', () => bodies(hub, 'telemetry').find((t) => sensorIn(t, kitchen.id)?.value === 24));
    const kitchenDefault = sensorIn(before, kitchen.id)?.name as string;
    const otherDefault = sensorIn(before, other.id)?.name as string;
    expect(kitchenDefault).toMatch(/^T[123]$/);
    const patch = async (desired: unknown) => {
      const res = await fetch(`http://127.0.0.1:${hub.httpPort}/api/devices/${ID}/twin`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ properties: { desired } }) });
      expect(res.status).toBe(200);
    };
    await patch({ sensors: { [kitchen.id]: { name: 'Kitchen', offset: -0.25 }, [other.id]: { name: 'Hall', offset: 12 } } });
    type Rep = { sensors?: Record<string, { name: string; status: string; offset: number } | undefined>; refused?: Record<string, string | null> };
    const r = await waitFor('reported sensor settings', () => {
      const rep = reported(hub) as Rep;
      return rep.sensors?.[kitchen.id]?.name === 'Kitchen' && rep.refused?.[`sensors/${other.id}`] ? rep : undefined;
    });
    expect(r.sensors?.[kitchen.id]).toEqual({ name: 'Kitchen', status: 'online', offset: -0.25, resolution: 12 });
    // The bad entry is refused with its reason and keeps its old values; the good one applied.
    expect(r.refused?.[`sensors/${other.id}`]).toMatch(/offset: 12 is outside ±5/);
    expect(r.sensors?.[other.id]).toEqual({ name: otherDefault, status: 'online', offset: 0, resolution: 12 });
    const t = await waitFor('calibrated telemetry', () => bodies(hub, 'telemetry').map((b) => sensorIn(b, kitchen.id)).find((s) => s?.name === 'Kitchen'));
    expect(t.value).toBe(23.75);
    expect(t.anomaly).toBe(false);
    expect(dev.host.display.latest?.sensors.find((s) => s.id === kitchen.id)).toMatchObject({ name: 'Kitchen', celsius: 23.75 });
    // Persisted in the device's storage for the next start.
    expect(JSON.parse(dev.host.storage.get('sensors') ?? '{}')).toEqual({ [kitchen.id]: { n: 'Kitchen', o: -0.25 } });
    // null restores the defaults and clears the refusal.
    await patch({ sensors: null });
    await waitFor('defaults back', () => {
      const rep = reported(hub) as Rep;
      return rep.sensors?.[kitchen.id]?.name === kitchenDefault && rep.sensors[kitchen.id]?.offset === 0 && rep.refused?.[`sensors/${other.id}`] === undefined;
    });
    await waitFor('raw telemetry again', () => bodies(hub, 'telemetry').slice(-1).some((b) => sensorIn(b, kitchen.id)?.value === 24 && sensorIn(b, kitchen.id)?.name === kitchenDefault));
  });

  it('the outbox loses nothing across an emulator restart', async () => {
    const port = hub.mqttPort;
    await waitFor('some telemetry', () => bodies(hub).length >= 3);
    const before = bodies(hub).map((b) => b.seq);
    await hub.stop();
    // The device keeps measuring while the hub is gone: messages pile up in the outbox.
    await waitFor('outbox filling', () => sim.devices[0].app.outboxCounts().pending >= 4, 15000);
    const queued = sim.devices[0].app.outboxCounts().pending;
    expect(sim.devices[0].host.display.latest?.status.hub).not.toBe('connected');
    hub = await startHub({ dataDir: path.join(dir, 'hub'), mqttPort: port, httpPort: null, dpsPort: null });
    await waitFor('reconnect and drain', () => sim.devices[0].app.outboxCounts().pending === 0 && bodies(hub).length >= queued, 30000);
    const after = bodies(hub).map((b) => b.seq);
    const all = [...new Set([...before, ...after])].sort((a, b) => a - b);
    const first = all[0];
    const last = all[all.length - 1];
    // Every sequence number from the first to the last arrived: nothing was lost.
    const missing: number[] = [];
    for (let s = first; s <= last; s++) if (!all.includes(s)) missing.push(s);
    expect(missing).toEqual([]);
    expect(after.length).toBeGreaterThanOrEqual(queued);
    const outbox = bodies(hub, 'telemetry').at(-1)?.outbox;
    expect(outbox?.overflow).toBe(0);
  });
});
