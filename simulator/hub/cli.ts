// `npm run hub -- <command>`: start the emulator, or drive a running one through its service API.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCli, UsageError, USAGE, type CliCommand } from './cli-args';
import { startHub } from './hub';

// Parsed before anything runs: a usage error exits with status 2 and a one-line message.
let cli: CliCommand;
try {
  cli = parseCli(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`npm run hub: ${err.message}\nrun 'npm run hub -- help' for usage`);
  process.exit(2);
}
const { args } = cli;

const dataDir = resolve(cli.dataDir ?? process.env.HUB_DATA_DIR ?? '.hub');

function apiBase(): string {
  if (cli.api) return cli.api.replace(/\/$/, '');
  if (process.env.HUB_API) return process.env.HUB_API.replace(/\/$/, '');
  const state = join(dataDir, 'hub.json');
  if (existsSync(state)) return `http://127.0.0.1:${(JSON.parse(readFileSync(state, 'utf8')) as { httpPort: number }).httpPort}`;
  return 'http://127.0.0.1:8090';
}

async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const base = apiBase();
  const res = await fetch(base + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }).catch(() => {
    throw new Error(`cannot reach the hub's service API at ${base} (is 'npm run hub -- start' running?)`);
  });
  const text = await res.text();
  const value = text && res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as unknown) : text;
  if (!res.ok) throw new Error(`${res.status}: ${typeof value === 'string' ? value : (value as { message?: string }).message}`);
  return value;
}

const print = (v: unknown) => console.log(typeof v === 'string' ? v : JSON.stringify(v, null, 2));
/** A positional argument for a URL path (parseCli has checked it is there). */
const seg = (name: string): string => encodeURIComponent(args[name]);

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
  switch (cli.command) {
    case 'help':
      return void console.log(USAGE);
    case 'start': {
      const hub = await startHub({
        dataDir,
        ...(cli.hostName ? { hostName: cli.hostName } : {}),
        ...(cli.idScope ? { idScope: cli.idScope } : {}),
        mqttPort: cli.mqttPort ?? 8883,
        dpsPort: cli.dpsPort === undefined ? 8884 : cli.dpsPort,
        httpPort: cli.httpPort === undefined ? 8090 : cli.httpPort,
        tcpPort: cli.tcpPort ?? null,
        wssPort: cli.wssPort ?? null,
        dpsWssPort: cli.dpsWssPort ?? null,
      });
      const state = join(dataDir, 'hub.json');
      writeFileSync(state, JSON.stringify({ pid: process.pid, hostName: hub.hostName, mqttPort: hub.mqttPort, dpsPort: hub.dpsPort, httpPort: hub.httpPort, tcpPort: hub.tcpPort, wssPort: hub.wssPort, dpsWssPort: hub.dpsWssPort, caPath: hub.caPath, idScope: hub.idScope }, null, 2));
      console.log(`IoT Hub emulator ${hub.hostName}
  MQTT/TLS   127.0.0.1:${hub.mqttPort}${hub.tcpPort ? `\n  MQTT/TCP   127.0.0.1:${hub.tcpPort} (tests only)` : ''}
  MQTT/WSS   ${hub.wssPort !== undefined ? `wss://127.0.0.1:${hub.wssPort}/$iothub/websocket (subprotocol mqtt)` : 'off'}
  DPS        ${hub.dpsPort ? `127.0.0.1:${hub.dpsPort} (ID scope ${hub.idScope})` : 'off'}${hub.dpsWssPort !== undefined ? `\n  DPS/WSS    wss://127.0.0.1:${hub.dpsWssPort}/$iothub/websocket` : ''}
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
      return print(await call('POST', '/api/devices', { ...(args.id ? { deviceId: args.id } : {}), ...(cli.key ? { primaryKey: cli.key } : {}), ...(cli.thumbprint ? { primaryThumbprint: cli.thumbprint } : {}) }));
    case 'delete-device':
      await call('DELETE', `/api/devices/${seg('id')}`);
      return print(`deleted ${args.id}`);
    case 'connection-string':
      return print(((await call('GET', `/api/devices/${seg('id')}/connection-string`)) as { connectionString: string }).connectionString);
    case 'c2d':
      return print(await call('POST', `/api/devices/${seg('id')}/c2d`, { body: args.text, properties: cli.properties ?? {} }));
    case 'twin':
      if (cli.set) return print(await call('PATCH', `/api/devices/${seg('id')}/twin`, { properties: { desired: cli.set } }));
      return print(await call('GET', `/api/devices/${seg('id')}/twin`));
    case 'method':
      return print(await call('POST', `/api/devices/${seg('id')}/methods/${seg('name')}`, { payload: cli.payload ?? null, timeout: cli.timeoutSeconds ?? 30 }));
    case 'telemetry':
      if (cli.follow) return follow(`/api/devices/${seg('id')}/telemetry/stream`);
      return print(await call('GET', `/api/devices/${seg('id')}/telemetry?limit=${cli.limit ?? 20}`));
    case 'enroll':
      return print(await call('POST', '/api/dps/enrollments', { registrationId: args.registrationId, ...(cli.key ? { primaryKey: cli.key } : {}) }));
    case 'enroll-group':
      return print(await call('POST', '/api/dps/groups', { groupId: args.groupId, ...(cli.key ? { primaryKey: cli.key } : {}) }));
    case 'ca':
      return print((await call('GET', '/api/ca')) as string);
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
