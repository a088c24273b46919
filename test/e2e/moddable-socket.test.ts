/**
 * End to end over sockets that behave as Moddable's do (test/fixtures/moddable-socket.ts: 896
 * bytes a write, "can't write all data" beyond), with the firmware's own connection code and the
 * firmware's bound on incoming packets (8 KB), against the IoT Hub emulator. These are the inputs
 * that crashed or corrupted data only on Moddable's runtime: a 1.1 KB+ method answer, telemetry
 * over 4 KB, emoji and umlauts in names and messages, C2D messages and twins larger than the
 * device takes.
 */
import { PART_BYTES } from '../../src/device/message-parts';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/main';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { ModdableLikeNetwork } from '../fixtures/moddable-socket';
import { tempDir, waitFor } from './helpers';

const ID = 'sim-1';
const SENSORS = 30; // the 24 and more: telemetry then passes 4 KB
const MAX_INCOMING = 8192;
let dir: string;
let hub: Hub;
let sim: Simulator;
const networks: ModdableLikeNetwork[] = [];

interface Telemetry {
  type: string;
  seq: number;
  uptimeMs: number;
  part?: number;
  parts?: number;
  sensors: { id: string; name: string; value: number | null }[];
}

/** The exact bytes the hub received must be valid UTF-8 (a fatal decoder refuses anything else). */
function strictText(base64: string): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(base64, 'base64'));
}

function lastError(): { source: string; message: string } | null {
  const twin = hub.twin(ID) as { properties: { reported: { lastError?: { source: string; message: string } | null } } };
  return twin.properties.reported.lastError ?? null;
}

beforeAll(async () => {
  dir = tempDir('thermo-moddable-socket-');
  hub = await startHub({ dataDir: path.join(dir, 'hub'), mqttPort: 0, httpPort: 0, dpsPort: null });
  sim = await startSimulator({
    hub,
    dataDir: dir,
    dashboardPort: 0,
    log: 'error',
    sensors: SENSORS,
    maxIncomingPacketSize: MAX_INCOMING,
    network: () => {
      const n = new ModdableLikeNetwork({ capacity: 896 });
      networks.push(n);
      return n;
    },
    config: { samplingIntervalMs: 500, telemetryIntervalMs: 1000 },
  });
  await waitFor('hub connected', () => hub.isConnected(ID), 30000);
});

afterAll(async () => {
  await sim?.stop();
  await hub?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the device over Moddable-like sockets against the emulator', () => {
  it('getStats with 30 sensors: an answer of several KB arrives whole and parses', async () => {
    await waitFor('all sensors sampled', () => sim.devices[0].app.stats().sensors && (sim.devices[0].app.stats().sensors as unknown[]).length === SENSORS);
    const stats = await hub.invokeMethod(ID, 'getStats', {}, 10);
    expect(stats.status).toBe(200);
    const payload = stats.payload as { deviceId: string; sensors: unknown[] };
    expect(payload.deviceId).toBe(ID);
    expect(payload.sensors).toHaveLength(SENSORS);
    expect(JSON.stringify(payload).length).toBeGreaterThan(896 * 2);
    // The socket was never handed more than its room, and writes of a full room happened.
    const writes = networks.flatMap((n) => n.sockets.flatMap((s) => s.writes));
    expect(Math.max(...writes)).toBe(896);
  });

  it('emoji and umlaut sensor names from the twin: a round of telemetry over 4 KB arrives in parts of one billing unit each, valid UTF-8 with the names intact', async () => {
    const dev = sim.devices[0];
    const ids = dev.bus.devices.map((d) => d.id);
    // Eight names (the most the device keeps), the first of 24 emoji: 96 bytes of UTF-8 each.
    const names = ['😀'.repeat(24), 'Küche Süd', '温度计', 'Ω-Ø-ß—é', '🌡️'.repeat(12), 'ÄÖÜäöüß'.repeat(3), '😀 Keller 😀', '—'.repeat(24)];
    const sensors: Record<string, { name: string }> = {};
    names.forEach((name, i) => (sensors[ids[i]] = { name }));
    hub.updateDesired(ID, { sensors });
    // A round over PART_BYTES is sent as parts (src/device/message-parts.ts): same uptimeMs, part 1..parts.
    const round = await waitFor('a whole round of telemetry with the new names', () => {
      const texts = hub.telemetry(ID).map((e) => strictText(e.bodyBase64));
      const parsed = texts.map((text) => ({ text, t: JSON.parse(text) as Telemetry })).filter(({ t }) => t.type === 'telemetry');
      const named = parsed.find(({ t }) => t.parts !== undefined && t.sensors.some((s) => s.name === names[0]));
      if (!named) return undefined;
      const parts = parsed.filter(({ t }) => t.uptimeMs === named.t.uptimeMs).sort((x, y) => x.t.seq - y.t.seq);
      return parts.length === named.t.parts ? parts : undefined;
    });
    expect(round.length).toBeGreaterThan(1);
    expect(round.reduce((n, { text }) => n + Buffer.byteLength(text), 0)).toBeGreaterThan(4096);
    for (const { text } of round) expect(Buffer.byteLength(text)).toBeLessThanOrEqual(PART_BYTES);
    expect(round.map(({ t }) => t.part)).toEqual(round.map((_, i) => i + 1));
    const all = round.flatMap(({ t }) => t.sensors);
    expect(all.map((s) => s.id).sort()).toEqual([...ids].sort());
    names.forEach((name, i) => expect(all.find((s) => s.id === ids[i])?.name).toBe(name));
    const reported = await waitFor('reported names', () => {
      const r = (hub.twin(ID) as { properties: { reported: { sensors?: Record<string, { name: string }> } } }).properties.reported.sensors;
      return r && r[ids[0]]?.name === names[0] ? r : undefined;
    });
    names.forEach((name, i) => expect(reported[ids[i]]?.name).toBe(name));
  });

  it('C2D "ü" + 1,000 × "a" and emoji text show on the display, cut with an ellipsis', async () => {
    hub.sendC2D(ID, { body: Buffer.from('ü' + 'a'.repeat(1000), 'utf8'), properties: {} });
    const long = await waitFor('long message shown', () => {
      const m = sim.devices[0].host.display.latest?.message;
      return m && m.text.startsWith('üaaa') ? m : undefined;
    });
    expect(long.text.endsWith('…')).toBe(true);
    expect(Array.from(long.text).length).toBeLessThanOrEqual(160);
    hub.sendC2D(ID, { body: Buffer.from('Grüße 😀 aus der Küche — 温度', 'utf8'), properties: { sender: 'Zoë' } });
    const emoji = await waitFor('emoji message shown', () => {
      const m = sim.devices[0].host.display.latest?.message;
      return m && m.text.startsWith('Grüße') ? m : undefined;
    });
    expect(emoji.text).toBe('Grüße 😀 aus der Küche — 温度');
    expect(emoji.sender).toBe('Zoë');
  });

  it('a 64 KB C2D message is completed unread and reported, not redelivered; the device keeps working', async () => {
    const before = hub.telemetry(ID).length;
    hub.sendC2D(ID, { body: Buffer.alloc(64 * 1024, 0x41), properties: {} });
    const error = await waitFor('reported lastError', () => {
      const e = lastError();
      return e && /larger than this device takes/.test(e.message) ? e : undefined;
    });
    expect(error.source).toBe('c2d');
    await waitFor('queue empty (completed by the PUBACK)', () => hub.c2dQueue(ID).length === 0);
    await waitFor('telemetry goes on', () => hub.telemetry(ID).length > before + 2);
    expect(hub.isConnected(ID)).toBe(true);
  });

  it('a method request larger than the device takes is answered 413', async () => {
    const answer = await hub.invokeMethod(ID, 'getStats', { pad: 'x'.repeat(MAX_INCOMING * 2) }, 10);
    expect(answer.status).toBe(413);
    expect(JSON.stringify(answer.payload)).toMatch(/larger than this device takes/);
    expect((await hub.invokeMethod(ID, 'getStats', {}, 10)).status).toBe(200);
  });

  it('a desired patch larger than the device takes is refused with a reported error; later patches still apply', async () => {
    hub.updateDesired(ID, { note: 'ü😀'.repeat(4000) });
    await waitFor('reported TOO_LARGE', () => /TOO_LARGE/.test(lastError()?.message ?? ''));
    expect(hub.isConnected(ID)).toBe(true);
    hub.updateDesired(ID, { note: null, telemetryIntervalMs: 1500 });
    await waitFor('applied after the gap', () => sim.devices[0].app.config.telemetryIntervalMs === 1500, 30000);
  });
});
