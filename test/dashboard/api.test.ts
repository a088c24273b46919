// The dashboard's JSON API against the whole simulator: a client mistake gets the same status
// and error code the service API gives for it (never a 502), a body over 128 KB a 413 (not a
// reset connection), and C2D takes the service API's field name, `body`.
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/main';
import { tempDir, waitFor } from '../e2e/helpers';

let dir: string;
let sim: Simulator;
let dash: string;
let service: string;

beforeAll(async () => {
  dir = tempDir('thermo-dash-api-');
  sim = await startSimulator({ dataDir: dir, dashboardPort: 0, mqttPort: 0, httpPort: 0, log: 'error', config: { samplingIntervalMs: 300, telemetryIntervalMs: 2000 } });
  dash = `${sim.dashboard.url}/api`;
  service = `http://127.0.0.1:${sim.hub!.httpPort}/api`;
  await waitFor('device online', () => sim.hub!.isConnected('sim-1') || undefined, 20_000);
});

afterAll(async () => {
  await sim?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  json: { status?: number; errorCode?: number; message?: string; messageId?: string };
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(base + path, init);
  return { status: res.status, json: (await res.json()) as Reply['json'] };
}

/** The dashboard's answer, checked field by field: status (also in the body), message, error code. */
async function dashboard(method: string, path: string, body: unknown, status: number, message: RegExp, errorCode?: number): Promise<Reply> {
  const r = await call(dash, method, path, body);
  expect({ status: r.status, message: r.json.message }).toEqual({ status, message: expect.stringMatching(message) });
  expect(r.json.status).toBe(status);
  expect(r.json.errorCode).toBe(errorCode);
  return r;
}

describe('dashboard API', () => {
  it('answers a body over 128 KB with 413 instead of resetting the connection', async () => {
    await dashboard('POST', '/devices/sim-1/c2d', JSON.stringify({ body: 'x'.repeat(200 * 1024) }), 413, /^request body over 128 KB$/);
    await dashboard('POST', '/devices/sim-1/faults', 'y'.repeat(3 * 1024 * 1024), 413, /^request body over 128 KB$/);
    // the server is still there for the next request
    expect((await call(dash, 'GET', '/devices')).status).toBe(200);
  });

  it('gives the service API status and error code for the same mistakes', async () => {
    const cases: [string, string, unknown][] = [
      ['GET', '/devices/%E0%A4%A/twin', undefined],
      ['POST', '/devices/sim-1/c2d', { body: 'x'.repeat(70 * 1024) }],
      ['POST', '/devices/sim-1/c2d', { body: 'x', properties: ['a'] }],
      ['POST', '/devices/sim-1/c2d', { body: 'x', ttlSeconds: -5 }],
      ['PATCH', '/devices/sim-1/twin', { desired: nested(40) }],
      ['POST', '/devices/nobody/c2d', { body: 'x' }],
    ];
    const seen: [number, number | undefined][] = [];
    for (const [method, path, body] of cases) {
      const viaDashboard = await call(dash, method, path, body);
      const viaService = await call(service, method, path, body);
      expect({ path, status: viaDashboard.status, errorCode: viaDashboard.json.errorCode }).toEqual({ path, status: viaService.status, errorCode: viaService.json.errorCode });
      seen.push([viaDashboard.status, viaDashboard.json.errorCode]);
    }
    expect(seen).toEqual([[400, 400004], [413, 413002], [400, 400004], [400, 400004], [400, 400004], [404, 404001]]);
  });

  it('names each mistake', async () => {
    await dashboard('GET', '/devices/%E0%A4%A/display', undefined, 400, /^bad URL encoding: %E0%A4%A$/, 400004);
    await dashboard('POST', '/devices/sim-1/c2d', { body: 'x'.repeat(70 * 1024) }, 413, /^MessageTooLarge: \d+ bytes exceeds 65536$/, 413002);
    await dashboard('POST', '/devices/sim-1/faults', { sensorId: '28ffffffffffffff', fault: 'spike' }, 404, /^sensor 28ffffffffffffff not found on device sim-1$/);
    await dashboard('POST', '/devices/sim-1/faults', { sensorId: 5, fault: 'melt' }, 400, /^expected \{sensorId, fault: disconnect\|reconnect\|spike\|crc\|clear\}$/, 400004);
    await dashboard('PATCH', '/devices/sim-1/twin', { desired: nested(40) }, 400, /^twin properties nest at most 10 levels$/, 400004);
    await dashboard('PATCH', '/devices/sim-1/twin', { desired: 'x' }, 400, /^desired must be a JSON object$/, 400004);
    await dashboard('POST', '/devices/sim-1/methods/getStats', '{nope', 400, /^payload must be JSON$/, 400004);
    await dashboard('POST', '/devices/sim-1/network', { up: 'yes' }, 400, /^up must be a boolean$/, 400004);
    await dashboard('GET', '/devices/nobody/display', undefined, 404, /^device nobody not found$/, 404001);
    await dashboard('DELETE', '/devices/sim-1/c2d', undefined, 405, /^DELETE not allowed here$/);
    await dashboard('GET', '/devices/sim-1/nothing', undefined, 404, /^no route \/api\/devices\/sim-1\/nothing$/);
    const file = await fetch(`${sim.dashboard.url}/nothing.png`);
    expect(file.status).toBe(404);
  });

  it('takes C2D as {body, properties?} like the service API, and refuses what the hub refuses', async () => {
    const before = sim.hub!.c2dQueue('sim-1').length + 0;
    await dashboard('POST', '/devices/sim-1/c2d', { text: 'the old name' }, 400, /^body must be a non-empty string$/, 400004);
    await dashboard('POST', '/devices/sim-1/c2d', { body: '   ' }, 400, /^body must be a non-empty string$/, 400004);
    await dashboard('POST', '/devices/sim-1/c2d', { body: 'x', properties: { sender: 7 } }, 400, /^properties must map names to strings \("sender" is number\)$/, 400004);
    await dashboard('POST', '/devices/sim-1/c2d', { body: 'x', ttlSeconds: 1e30 }, 400, /^ArgumentInvalid: ttlSeconds must be between 60 and 172800/, 400004);
    expect(sim.hub!.c2dQueue('sim-1').length).toBe(before);
    const sent: string[] = [];
    const onQueued = (e: { messageId: string }) => sent.push(e.messageId);
    sim.hub!.on('c2d-queued', onQueued);
    const ok = await call(dash, 'POST', '/devices/sim-1/c2d', { body: 'Lunch is served', properties: { sender: 'kitchen' } });
    sim.hub!.off('c2d-queued', onQueued);
    expect(ok.status).toBe(202);
    expect(sent).toEqual([ok.json.messageId]);
    await waitFor('message on the display', () => (sim.devices[0].host.display.latest?.message?.text === 'Lunch is served' ? true : undefined), 15_000);
    expect(sim.devices[0].host.display.latest?.message?.sender).toBe('kitchen');
  });

  it('passes through DeviceNotOnline for a method call to an offline device', async () => {
    expect((await call(dash, 'POST', '/devices/sim-1/network', { up: false })).status).toBe(200);
    await waitFor('device offline', () => (sim.hub!.isConnected('sim-1') ? undefined : true), 20_000);
    await dashboard('POST', '/devices/sim-1/methods/getStats', '{}', 404, /^DeviceNotOnline/, 404103);
    expect((await call(dash, 'POST', '/devices/sim-1/network', { up: true })).status).toBe(200);
    await waitFor('device online again', () => sim.hub!.isConnected('sim-1') || undefined, 20_000);
  });
});

function nested(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = { n: v };
  return v;
}
