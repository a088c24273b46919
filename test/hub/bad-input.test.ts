// Every wrong input the service API is known to meet gets a 4xx naming what is wrong, and
// changes nothing: no device created, no message queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers';

let t: TestHub;
let api: string;

beforeAll(async () => {
  t = await startTestHub({ dpsPort: 0 });
  api = `http://127.0.0.1:${t.hub.httpPort}/api`;
  t.hub.createDevice({ deviceId: 'bad-in' });
});
afterAll(() => t.stop());

interface Reply {
  status: number;
  json: { status?: number; errorCode?: number; message?: string; messageId?: string };
}

async function call(method: string, path: string, body?: unknown): Promise<Reply> {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(api + path, init);
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Reply['json']) : {} };
}

/** A refused request: its status, the same status in the JSON, the message and (if given) the error code. */
async function refused(method: string, path: string, body: unknown, status: number, message: RegExp, errorCode?: number): Promise<void> {
  const r = await call(method, path, body);
  expect({ status: r.status, message: r.json.message }).toEqual({ status, message: expect.stringMatching(message) });
  expect(r.json.status).toBe(status);
  if (errorCode !== undefined) expect(r.json.errorCode).toBe(errorCode);
}

describe('service API: devices', () => {
  it('refuses a device id that is not a non-empty string, and creates nothing', async () => {
    const before = t.hub.devices().length;
    await refused('POST', '/devices', { deviceId: 42 }, 400, /^deviceId must be a non-empty string$/, 400004);
    await refused('POST', '/devices', { deviceId: '' }, 400, /^deviceId must be a non-empty string$/, 400004);
    await refused('POST', '/devices', { deviceId: null }, 400, /^deviceId must be a non-empty string$/, 400004);
    await refused('POST', '/devices', { deviceId: 'bad id/with slash' }, 400, /invalid device id "bad id\/with slash"/, 400004);
    await refused('POST', '/devices', { deviceId: 'x'.repeat(129) }, 400, /invalid device id/, 400004);
    expect(t.hub.devices()).toHaveLength(before);
    // in-process callers get the same answer: an empty id is not "pick one for me"
    expect(() => t.hub.createDevice({ deviceId: '' })).toThrow(/invalid device id ""/);
    expect(t.hub.devices()).toHaveLength(before);
  });

  it('refuses other device fields of the wrong type or value', async () => {
    await refused('POST', '/devices', { deviceId: 'k1', status: 'paused' }, 400, /^status must be "enabled" or "disabled"$/);
    await refused('POST', '/devices', { deviceId: 'k1', primaryKey: 5 }, 400, /^primaryKey must be a string$/);
    await refused('POST', '/devices', { deviceId: 'k1', primaryKey: 'short' }, 400, /symmetric keys must be base64 of at least 16 bytes/);
    await refused('POST', '/devices', { deviceId: 'k1', x509Thumbprint: 'ab' }, 400, /^x509Thumbprint must be a JSON object$/);
    await refused('POST', '/devices', { deviceId: 'k1', primaryThumbprint: 'ab' }, 400, /thumbprint must be a SHA-1 or SHA-256 hex digest/);
    await refused('POST', '/devices', '[1]', 400, /^body must be a JSON object$/);
    await refused('POST', '/devices', '{"deviceId":', 400, /^body must be a JSON object$/);
    expect(t.hub.device('k1')).toBeUndefined();
    await refused('PATCH', '/devices/bad-in', { status: 1 }, 400, /^status must be "enabled" or "disabled"$/);
    await refused('GET', '/devices/bad-in/telemetry?limit=abc', undefined, 400, /^limit must be a positive integer$/);
    await refused('GET', '/devices/%E0%A4%A', undefined, 400, /^bad URL encoding/);
    await refused('GET', '/devices/nobody', undefined, 404, /^device nobody not found$/, 404001);
  });

  it('answers 413 to a body over 1 MB', async () => {
    await refused('POST', '/devices', JSON.stringify({ deviceId: 'big', pad: 'x'.repeat(1100 * 1024) }), 413, /^request body over 1 MB$/);
  });
});

describe('service API: cloud-to-device', () => {
  const c2d = '/devices/bad-in/c2d';
  const queued = () => t.hub.c2dQueue('bad-in').map((m) => m.body.toString());

  it('takes ttlSeconds only within IoT Hub range, 1 minute to 2 days', async () => {
    const range = /^ArgumentInvalid: ttlSeconds must be between 60 and 172800 \(IoT Hub: 1 minute to 2 days\)/;
    await refused('POST', c2d, { body: 'neg', ttlSeconds: -5 }, 400, range, 400004);
    await refused('POST', c2d, { body: 'zero', ttlSeconds: 0 }, 400, range, 400004);
    await refused('POST', c2d, { body: 'short', ttlSeconds: 59 }, 400, range, 400004);
    await refused('POST', c2d, { body: 'huge', ttlSeconds: 1e30 }, 400, range, 400004);
    await refused('POST', c2d, { body: 'long', ttlSeconds: 172801 }, 400, range, 400004);
    await refused('POST', c2d, { body: 'text', ttlSeconds: '60' }, 400, /^ttlSeconds must be a number$/, 400004);
    expect(queued()).toEqual([]);
    const min = await call('POST', c2d, { body: 'one minute', ttlSeconds: 60 });
    expect(min.status).toBe(202);
    const max = await call('POST', c2d, { body: 'two days', ttlSeconds: 172800 });
    expect(max.status).toBe(202);
    // a 202 means queued: both are there, with their expiry
    const q = t.hub.c2dQueue('bad-in');
    expect(q.map((m) => m.messageId)).toEqual([min.json.messageId, max.json.messageId]);
    expect(q[1].expiresAt - Date.parse(q[1].enqueuedTime)).toBe(172800 * 1000);
    expect(() => t.hub.sendC2D('bad-in', { body: Buffer.from('x'), ttlSeconds: Number.POSITIVE_INFINITY })).toThrow(/ttlSeconds must be between/);
  });

  it('takes properties only as an object of string values', async () => {
    const before = queued();
    await refused('POST', c2d, { body: 'x', properties: ['a'] }, 400, /^properties must be a JSON object$/, 400004);
    await refused('POST', c2d, { body: 'x', properties: 'a=1' }, 400, /^properties must be a JSON object$/, 400004);
    await refused('POST', c2d, { body: 'x', properties: null }, 400, /^properties must be a JSON object$/, 400004);
    await refused('POST', c2d, { body: 'x', properties: { a: 1 } }, 400, /^properties must map names to strings \("a" is number\)$/, 400004);
    await refused('POST', c2d, { body: 'x', properties: { a: null } }, 400, /^properties must map names to strings \("a" is null\)$/, 400004);
    await refused('POST', c2d, { body: 'x', properties: { '': 'v' } }, 400, /^properties names must be non-empty$/, 400004);
    await refused('POST', c2d, { body: 'x', messageId: 7 }, 400, /^messageId must be a non-empty string$/, 400004);
    await refused('POST', c2d, { body: 'x', contentType: false }, 400, /^contentType must be a string$/, 400004);
    expect(queued()).toEqual(before);
    const ok = await call('POST', c2d, { body: 'with props', properties: { severity: 'info' } });
    expect(ok.status).toBe(202);
    expect(t.hub.c2dQueue('bad-in').at(-1)?.properties).toEqual({ severity: 'info' });
  });

  it('keeps the existing limits: unknown device, too large', async () => {
    await refused('POST', '/devices/nobody/c2d', { body: 'x' }, 404, /^device nobody not found$/, 404001);
    await refused('POST', c2d, { body: 'x'.repeat(70 * 1024) }, 413, /^MessageTooLarge/, 413002);
  });
});

describe('service API: twin, methods, DPS', () => {
  it('refuses bad twin patches with ArgumentInvalid', async () => {
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 40; i++) deep = { n: deep };
    await refused('PATCH', '/devices/bad-in/twin', { desired: deep }, 400, /^twin properties nest at most 10 levels$/, 400004);
    await refused('PATCH', '/devices/bad-in/twin', { properties: 'x' }, 400, /^properties must be a JSON object$/, 400004);
    await refused('PATCH', '/devices/bad-in/twin', { desired: [1] }, 400, /^a twin patch must be a JSON object$/, 400004);
    await refused('PATCH', '/devices/bad-in/twin', {}, 400, /^body must be/, 400004);
  });

  it('refuses method timeouts that are not 0 < s <= 300, and says when the device is offline', async () => {
    const timeout = /^timeout must be a number of seconds, more than 0 and at most 300$/;
    await refused('POST', '/devices/bad-in/methods/ping', { timeout: 'abc' }, 400, /^timeout must be a number$/, 400004);
    await refused('POST', '/devices/bad-in/methods/ping', { timeout: -1 }, 400, timeout, 400004);
    await refused('POST', '/devices/bad-in/methods/ping', { responseTimeoutInSeconds: 301 }, 400, timeout, 400004);
    await refused('POST', '/devices/bad-in/methods/ping', { timeout: 5 }, 404, /^DeviceNotOnline/, 404103);
  });

  it('refuses DPS enrollments with fields of the wrong type', async () => {
    await refused('POST', '/dps/enrollments', {}, 400, /^registrationId is required \(a non-empty string\)$/);
    await refused('POST', '/dps/enrollments', { registrationId: 5 }, 400, /^registrationId must be a non-empty string$/);
    await refused('POST', '/dps/enrollments', { registrationId: 'r-1', primaryKey: 5 }, 400, /^primaryKey must be a non-empty string$/);
    await refused('POST', '/dps/groups', { groupId: '' }, 400, /^groupId must be a non-empty string$/);
    expect(t.hub.enrollments()).toEqual({ individual: [], groups: [] });
  });
});
