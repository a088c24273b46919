// `npm run hub -- <command>`: start the emulator, or drive a running one through its service API.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startHub } from './hub';

const USAGE = `usage: npm run hub -- <command> [options]

  start [--data-dir .hub] [--host-name thermo-hub.localhost] [--mqtt-port 8883]
        [--dps-port 8884] [--http-port 8090] [--tcp-port N] [--id-scope 0ne0000THRM]
  devices                                   list devices
  create-device [id] [--key base64] [--thumbprint hex]
  delete-device <id>
  connection-string <id>
  c2d <id> <text> [--prop k=v]...           queue a cloud-to-device message
  twin <id> [--set '{"interval":10}']       show the twin, or patch desired properties
  method <id> <name> [json] [--timeout s]   invoke a direct method
  telemetry <id> [--limit N] [--follow]     recent D2C events (follow: stream them)
  enroll <registrationId> [--key base64]    DPS individual enrollment
  enroll-group <groupId> [--key base64]     DPS enrollment group
  ca                                        print the CA certificate (PEM)

Commands other than start find the hub at --api URL, $HUB_API, the http port recorded in
<data-dir>/hub.json, or http://127.0.0.1:8090.`;

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    'host-name': { type: 'string' },
    'mqtt-port': { type: 'string' },
    'dps-port': { type: 'string' },
    'http-port': { type: 'string' },
    'tcp-port': { type: 'string' },
    'id-scope': { type: 'string' },
    api: { type: 'string' },
    key: { type: 'string' },
    thumbprint: { type: 'string' },
    prop: { type: 'string', multiple: true },
    set: { type: 'string' },
    timeout: { type: 'string' },
    limit: { type: 'string' },
    follow: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

const dataDir = resolve(opts['data-dir'] ?? process.env.HUB_DATA_DIR ?? '.hub');
const port = (s: string | undefined, fallback: number | null): number | null => (s === undefined ? fallback : s === 'off' ? null : Number(s));

function apiBase(): string {
  if (opts.api) return opts.api.replace(/\/$/, '');
  if (process.env.HUB_API) return process.env.HUB_API.replace(/\/$/, '');
  const state = join(dataDir, 'hub.json');
  if (existsSync(state)) return `http://127.0.0.1:${(JSON.parse(readFileSync(state, 'utf8')) as { httpPort: number }).httpPort}`;
  return 'http://127.0.0.1:8090';
}

async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(apiBase() + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  const value = text && res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as unknown) : text;
  if (!res.ok) throw new Error(`${res.status}: ${typeof value === 'string' ? value : (value as { message?: string }).message}`);
  return value;
}

const print = (v: unknown) => console.log(typeof v === 'string' ? v : JSON.stringify(v, null, 2));
const id = (i: number, what: string): string => {
  const v = positionals[i];
  if (!v) throw new Error(`missing ${what}\n\n${USAGE}`);
  return encodeURIComponent(v);
};

async function follow(path: string): Promise<void> {
  const res = await fetch(apiBase() + path);
  if (!res.ok || !res.body) throw new Error(`${res.status}: cannot stream ${path}`);
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const data = frame.split('\n').find((l) => l.startsWith('data: '));
      if (data) console.log(data.slice(6));
    }
  }
}

async function main(): Promise<void> {
  const [command] = positionals;
  if (!command || opts.help) return void console.log(USAGE);
  switch (command) {
    case 'start': {
      const hub = await startHub({
        dataDir,
        ...(opts['host-name'] ? { hostName: opts['host-name'] } : {}),
        ...(opts['id-scope'] ? { idScope: opts['id-scope'] } : {}),
        mqttPort: port(opts['mqtt-port'], 8883) ?? 8883,
        dpsPort: port(opts['dps-port'], 8884),
        httpPort: port(opts['http-port'], 8090),
        tcpPort: port(opts['tcp-port'], null),
      });
      const state = join(dataDir, 'hub.json');
      writeFileSync(state, JSON.stringify({ pid: process.pid, hostName: hub.hostName, mqttPort: hub.mqttPort, dpsPort: hub.dpsPort, httpPort: hub.httpPort, tcpPort: hub.tcpPort, caPath: hub.caPath, idScope: hub.idScope }, null, 2));
      console.log(`IoT Hub emulator ${hub.hostName}
  MQTT/TLS   127.0.0.1:${hub.mqttPort}${hub.tcpPort ? `\n  MQTT/TCP   127.0.0.1:${hub.tcpPort} (tests only)` : ''}
  DPS        ${hub.dpsPort ? `127.0.0.1:${hub.dpsPort} (ID scope ${hub.idScope})` : 'off'}
  API        ${hub.httpPort ? `http://127.0.0.1:${hub.httpPort}/api` : 'off'}
  CA         ${hub.caPath}`);
      hub.on('connected', (e) => console.log(`connected    ${e.deviceId} (${e.auth}, clean=${e.clean})`));
      hub.on('disconnected', (e) => console.log(`disconnected ${e.deviceId}: ${e.reason}`));
      hub.on('refused', (e) => console.log(`refused      ${e.clientId} CONNACK ${e.returnCode}: ${e.reason}`));
      hub.on('violation', (e) => console.log(`violation    ${e.deviceId}: ${e.reason}`));
      const stop = () => {
        rmSync(state, { force: true });
        void hub.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'devices': {
      const devices = (await call('GET', '/api/devices')) as { deviceId: string; status: string; authType: string; connectionState: string; cloudToDeviceMessageCount: number }[];
      for (const d of devices) console.log(`${d.deviceId}\t${d.status}\t${d.authType}\t${d.connectionState}\tc2d=${d.cloudToDeviceMessageCount}`);
      return;
    }
    case 'create-device':
      return print(await call('POST', '/api/devices', { ...(positionals[1] ? { deviceId: positionals[1] } : {}), ...(opts.key ? { primaryKey: opts.key } : {}), ...(opts.thumbprint ? { primaryThumbprint: opts.thumbprint } : {}) }));
    case 'delete-device':
      await call('DELETE', `/api/devices/${id(1, 'device id')}`);
      return print(`deleted ${positionals[1]}`);
    case 'connection-string':
      return print(((await call('GET', `/api/devices/${id(1, 'device id')}/connection-string`)) as { connectionString: string }).connectionString);
    case 'c2d': {
      const properties: Record<string, string | null> = {};
      for (const p of opts.prop ?? []) {
        const eq = p.indexOf('=');
        properties[eq < 0 ? p : p.slice(0, eq)] = eq < 0 ? null : p.slice(eq + 1);
      }
      return print(await call('POST', `/api/devices/${id(1, 'device id')}/c2d`, { body: positionals[2] ?? '', properties }));
    }
    case 'twin':
      if (opts.set) return print(await call('PATCH', `/api/devices/${id(1, 'device id')}/twin`, { properties: { desired: JSON.parse(opts.set) as unknown } }));
      return print(await call('GET', `/api/devices/${id(1, 'device id')}/twin`));
    case 'method':
      return print(await call('POST', `/api/devices/${id(1, 'device id')}/methods/${id(2, 'method name')}`, { payload: positionals[3] ? (JSON.parse(positionals[3]) as unknown) : null, timeout: Number(opts.timeout ?? 30) }));
    case 'telemetry':
      if (opts.follow) return follow(`/api/devices/${id(1, 'device id')}/telemetry/stream`);
      return print(await call('GET', `/api/devices/${id(1, 'device id')}/telemetry?limit=${Number(opts.limit ?? 20)}`));
    case 'enroll':
      return print(await call('POST', '/api/dps/enrollments', { registrationId: positionals[1], ...(opts.key ? { primaryKey: opts.key } : {}) }));
    case 'enroll-group':
      return print(await call('POST', '/api/dps/groups', { groupId: positionals[1], ...(opts.key ? { primaryKey: opts.key } : {}) }));
    case 'ca':
      return print((await call('GET', '/api/ca')) as string);
    default:
      throw new Error(`unknown command ${command}\n\n${USAGE}`);
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
