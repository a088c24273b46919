// The service API over HTTP and the CLI on top of it, against a device connected with mqtt.js.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, deviceOptions, nextMessage, sleep, startTestHub, type TestHub } from './helpers';

let t: TestHub;
let api: string;

beforeAll(async () => {
  t = await startTestHub();
  api = `http://127.0.0.1:${t.hub.httpPort}/api`;
});
afterAll(() => t.stop());

async function http(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- response shapes vary per route */ {
  const res = await fetch(api + path, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

describe('service API', () => {
  it('creates, lists, reads and deletes devices', async () => {
    const created = await http('POST', '/devices', { deviceId: 'api-1' });
    expect(created.status).toBe(201);
    expect(Buffer.from(created.json.primaryKey, 'base64')).toHaveLength(32);
    expect(created.json.connectionString).toBe(`HostName=${t.hub.hostName};DeviceId=api-1;SharedAccessKey=${created.json.primaryKey}`);
    expect((await http('POST', '/devices', { deviceId: 'api-1' })).status).toBe(409);
    expect((await http('POST', '/devices', { deviceId: 'bad id/with slash' })).status).toBe(400);
    const given = Buffer.alloc(32, 3).toString('base64');
    expect((await http('POST', '/devices', { deviceId: 'api-2', primaryKey: given })).json.primaryKey).toBe(given);
    expect((await http('GET', '/devices')).json.map((d: { deviceId: string }) => d.deviceId)).toEqual(expect.arrayContaining(['api-1', 'api-2']));
    expect((await http('GET', '/devices/api-1/connection-string')).json.connectionString).toContain('DeviceId=api-1');
    expect((await http('DELETE', '/devices/api-2')).status).toBe(204);
    expect((await http('GET', '/devices/api-2')).status).toBe(404);
    expect((await http('DELETE', '/devices/api-2')).status).toBe(404);
    const ca = await fetch(`${api}/ca`);
    expect(await ca.text()).toBe(t.hub.caPem);
  });

  it('carries telemetry (list and SSE), C2D, twin and methods to a connected device', async () => {
    const key = (await http('POST', '/devices', { deviceId: 'api-dev' })).json.primaryKey;
    const device = await connect(deviceOptions(t.hub, 'api-dev', key));
    await device.subscribeAsync(['devices/api-dev/messages/devicebound/#', '$iothub/twin/PATCH/properties/desired/#', '$iothub/methods/POST/#'], { qos: 1 });
    expect((await http('GET', '/devices/api-dev')).json.connectionState).toBe('Connected');

    // SSE: open the stream, then publish
    const controller = new AbortController();
    const sse = await fetch(`${api}/devices/api-dev/telemetry/stream`, { signal: controller.signal });
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    const reader = sse.body!.getReader();
    await device.publishAsync('devices/api-dev/messages/events/%24.mid=sse-1', '{"t":1}', { qos: 1 });
    let text = '';
    while (!text.includes('sse-1')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('event: telemetry');
    controller.abort();
    const listed = await http('GET', '/devices/api-dev/telemetry?limit=5');
    expect(listed.json.at(-1)).toMatchObject({ messageId: 'sse-1', json: { t: 1 } });

    const got = nextMessage(device, (topic) => topic.includes('devicebound'));
    const sent = await http('POST', '/devices/api-dev/c2d', { body: 'show this', properties: { severity: 'info' } });
    expect(sent.status).toBe(202);
    const c2d = await got;
    expect(c2d.payload.toString()).toBe('show this');
    expect(c2d.topic).toContain('severity=info');
    expect(c2d.topic).toContain(`%24.mid=${sent.json.messageId}`);

    const desired = nextMessage(device, (topic) => topic.startsWith('$iothub/twin/PATCH'));
    const twin = await http('PATCH', '/devices/api-dev/twin', { properties: { desired: { interval: 5 } } });
    expect(twin.json.properties.desired).toMatchObject({ interval: 5, $version: 2 });
    expect(JSON.parse((await desired).payload.toString())).toEqual({ interval: 5, $version: 2 });
    expect((await http('PATCH', '/devices/api-dev/twin', { desired: { $bad: 1 } })).status).toBe(400);

    device.on('message', (topic) => {
      const m = /^\$iothub\/methods\/POST\/ping\/\?\$rid=(.+)$/.exec(topic);
      if (m) device.publish(`$iothub/methods/res/200/?$rid=${m[1]}`, '{"pong":true}');
    });
    expect((await http('POST', '/devices/api-dev/methods/ping', { payload: {}, timeout: 5 })).json).toEqual({ status: 200, payload: { pong: true } });
    expect((await http('POST', '/devices/api-dev/methods/nothing', { timeout: 0.2 })).status).toBe(504);
    await device.endAsync();
    await sleep(50);
    expect((await http('POST', '/devices/api-dev/methods/ping', { timeout: 1 })).status).toBe(404);
  });

  it('reports C2D queue limits as HTTP errors', async () => {
    await http('POST', '/devices', { deviceId: 'api-full' });
    for (let i = 0; i < 50; i++) expect((await http('POST', '/devices/api-full/c2d', { body: `m${i}` })).status).toBe(202);
    const full = await http('POST', '/devices/api-full/c2d', { body: 'm50' });
    expect(full.status).toBe(403);
    expect(full.json).toMatchObject({ errorCode: 403004 });
    expect(full.json.message).toMatch(/DeviceMaximumQueueDepthExceeded/);
    expect((await http('POST', '/devices', { deviceId: 'api-big' })).status).toBe(201);
    expect((await http('POST', '/devices/api-big/c2d', { body: 'x'.repeat(65 * 1024) })).status).toBe(413);
    expect((await http('POST', '/devices/nobody/c2d', { body: 'x' })).status).toBe(404);
  });
});

describe('CLI', () => {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'simulator/hub/cli.ts', ...args, '--data-dir', dir], { encoding: 'utf8' });
  let server: ReturnType<typeof spawn> | undefined;

  afterAll(() => {
    server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the hub and drives it', async () => {
    server = spawn(process.execPath, ['--import', 'tsx', 'simulator/hub/cli.ts', 'start', '--data-dir', dir, '--mqtt-port', '0', '--dps-port', '0', '--http-port', '0'], { stdio: 'pipe' });
    const state = join(dir, 'hub.json');
    for (let i = 0; i < 100 && !existsSync(state); i++) await sleep(100);
    const info = JSON.parse(readFileSync(state, 'utf8'));
    expect(info.mqttPort).toBeGreaterThan(0);

    const created = JSON.parse((await cli('create-device', 'cli-dev')).stdout);
    expect(created.deviceId).toBe('cli-dev');
    expect((await cli('devices')).stdout).toMatch(/^cli-dev\tenabled\tsas\tDisconnected\tc2d=0$/m);
    expect((await cli('connection-string', 'cli-dev')).stdout.trim()).toBe(created.connectionString);
    await cli('c2d', 'cli-dev', 'hello', '--prop', 'a=1');
    expect((await cli('devices')).stdout).toContain('c2d=1');
    const twin = JSON.parse((await cli('twin', 'cli-dev', '--set', '{"interval":10}')).stdout);
    expect(twin.properties.desired.interval).toBe(10);
    await expect(cli('method', 'cli-dev', 'reboot', '{}', '--timeout', '1')).rejects.toMatchObject({ stderr: expect.stringMatching(/404/) });
    expect(JSON.parse((await cli('telemetry', 'cli-dev')).stdout)).toEqual([]);
    expect((await cli('ca')).stdout).toContain('BEGIN CERTIFICATE');
  }, 60_000);

  it('prints its usage for help, and for a usage error a short message and exit status 2', async () => {
    const help = await cli('help');
    expect(help.stdout).toMatch(/^usage: npm run hub -- <command>/);
    expect(help.stdout).toContain('c2d <id> <text>');
    const usage = (stderr: RegExp) => ({ code: 2, stdout: '', stderr: expect.stringMatching(stderr) });
    await expect(cli('c2d', 'cli-dev')).rejects.toMatchObject(usage(/^npm run hub: c2d needs <text>: c2d <id> <text>\nrun 'npm run hub -- help' for usage\n$/));
    await expect(cli('devices', '--bogus')).rejects.toMatchObject(usage(/^npm run hub: Unknown option '--bogus'\n/));
    await expect(cli('method', 'cli-dev', 'ping', '--timeout', 'abc')).rejects.toMatchObject(usage(/^npm run hub: --timeout must be a number of seconds, more than 0 and at most 300, got 'abc'\n/));
    await expect(cli('method', 'cli-dev', 'ping', '--timeout', '-1')).rejects.toMatchObject(usage(/got '-1'\n/));
    // nothing was queued by the refused c2d
    expect((await cli('devices')).stdout).toMatch(/^cli-dev\t.*\tc2d=1$/m);
    // a refusal by the hub is status 1 with its message
    await expect(cli('c2d', 'nobody', 'hi')).rejects.toMatchObject({ code: 1, stderr: '404: device nobody not found\n' });
  }, 60_000);
});
